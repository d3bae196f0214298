namespace Tunnel.Storage;

/// <summary>
/// The JPEG snapshot of each passage, as the edge agent sent it, kept as files under
/// <c>{root}/{yyyy-MM-dd}/{eventId}.jpg</c> (by day received): images would bloat the database and
/// its backups, and a day per folder makes the retention purge a directory delete. A snapshot shows
/// the plate, so it is personal data and follows the plate retention.
/// </summary>
public sealed class SnapshotStore(string root, TimeProvider clock)
{
    /// <summary>Larger payloads are refused: a 1080p JPEG of a portal is 150-400 KB.</summary>
    public const int MaxBytes = 1024 * 1024;

    public string Root { get; } = Path.GetFullPath(root);

    public static SnapshotStore InDataDirectory(string dataDirectory, TimeProvider clock) =>
        new(Path.Combine(dataDirectory, "snapshots"), clock);

    /// <summary>Why <paramref name="jpeg"/> is not a snapshot we keep, or null when it is.</summary>
    public static string? Reject(ReadOnlySpan<byte> jpeg) =>
        jpeg.Length == 0 ? "empty snapshot"
        : jpeg.Length > MaxBytes ? $"snapshot of {jpeg.Length} bytes is over the limit of {MaxBytes}"
        : jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 || jpeg[^2] != 0xFF || jpeg[^1] != 0xD9 ? "snapshot is not a complete JPEG"
        : null;

    /// <summary>
    /// Stores the snapshot of one passage unless it has one: the first kept stays. An agent's re-send is the same bytes;
    /// other bytes under a kept passage's event id are someone else's picture and must not replace its own.
    /// </summary>
    public SnapshotSaved Save(Guid eventId, ReadOnlySpan<byte> jpeg)
    {
        if (Reject(jpeg) is { } reason) throw new ArgumentException(reason, nameof(jpeg));
        if (Load(eventId) is { } kept) return kept.AsSpan().SequenceEqual(jpeg) ? SnapshotSaved.Same : SnapshotSaved.Different;
        var day = Directory.CreateDirectory(Path.Combine(Root, clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd")));
        var path = Path.Combine(day.FullName, $"{eventId:D}.jpg");
        // Written aside and renamed, so a reader never serves half a file.
        var partial = path + ".part";
        File.WriteAllBytes(partial, jpeg.ToArray());
        File.Move(partial, path, overwrite: false);
        return SnapshotSaved.Stored;
    }

    /// <summary>Deletes the snapshot of one passage; false when there was none.</summary>
    public bool Delete(Guid eventId)
    {
        if (Find(eventId) is not { } path) return false;
        File.Delete(path);
        return true;
    }

    /// <summary>The snapshot's bytes, or null when there is none (never sent, or purged).</summary>
    public byte[]? Load(Guid eventId) => Find(eventId) is { } path ? File.ReadAllBytes(path) : null;

    private string? Find(Guid eventId)
    {
        if (!Directory.Exists(Root)) return null;
        var name = $"{eventId:D}.jpg";
        // Newest day first: the console asks mostly for recent ones.
        foreach (var day in Directory.EnumerateDirectories(Root).OrderDescending(StringComparer.Ordinal))
        {
            var path = Path.Combine(day, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>Deletes the days received before <paramref name="cutoff"/>; returns how many files went.</summary>
    public int Purge(DateTimeOffset cutoff)
    {
        if (!Directory.Exists(Root)) return 0;
        var oldest = cutoff.UtcDateTime.ToString("yyyy-MM-dd");
        var removed = 0;
        foreach (var day in Directory.EnumerateDirectories(Root))
        {
            // A day folder is kept while any of it is younger than the cutoff.
            if (string.CompareOrdinal(Path.GetFileName(day), oldest) >= 0) continue;
            removed += Directory.EnumerateFiles(day).Count();
            Directory.Delete(day, recursive: true);
        }
        return removed;
    }
}

/// <summary>What <see cref="SnapshotStore.Save"/> did: kept it, or found one kept already, the same bytes or others.</summary>
public enum SnapshotSaved { Stored, Same, Different }
