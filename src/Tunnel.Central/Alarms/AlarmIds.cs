using System.Security.Cryptography;

namespace Tunnel.Central.Alarms;

/// <summary>
/// An overdue alarm's id follows from the entry passage it is about, so a central service that
/// rebuilds its state after a restart raises the very same alarm again, not a second one.
/// </summary>
public static class AlarmIds
{
    public static Guid ForOverdue(Guid entryEventId)
    {
        Span<byte> input = stackalloc byte[16 + 8];
        entryEventId.TryWriteBytes(input);
        "overdue!"u8.CopyTo(input[16..]);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
        // RFC 4122 name-based layout: version 5, variant 10.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
