using Tunnel.Mqtt.Native;

namespace Tunnel.Mqtt;

/// <summary>MQTT 5 reason codes the project meets in practice, with advice an operator can act on.</summary>
public static class MqttReasonCodes
{
    public const int Success = 0x00;
    public const int NoMatchingSubscribers = 0x10;
    public const int UnspecifiedError = 0x80;
    public const int BadUserNameOrPassword = 0x86;
    public const int NotAuthorized = 0x87;
    public const int ServerUnavailable = 0x88;
    public const int Banned = 0x8A;
    public const int TopicNameInvalid = 0x90;
    public const int PacketTooLarge = 0x95;
    public const int QuotaExceeded = 0x97;

    public static bool IsFailure(int reasonCode) => reasonCode >= 0x80;

    /// <summary>"Not authorized (135)" plus, for the common codes, what to check.</summary>
    internal static string Describe(int reasonCode, string operation)
    {
        var text = $"{MosquittoRuntime.ReasonText(reasonCode)} (reason {reasonCode})";
        var hint = (reasonCode, operation) switch
        {
            (NotAuthorized or BadUserNameOrPassword, "connect") =>
                "check the username and password (and that the broker knows this user)",
            (NotAuthorized, _) => "the broker's ACL does not allow this user to use this topic",
            (PacketTooLarge, _) => "the message is larger than the broker's max_packet_size",
            (Banned, _) => "the broker has banned this client",
            (ServerUnavailable, _) => "the broker is not accepting connections right now",
            _ => null,
        };
        return hint is null ? text : $"{text}: {hint}";
    }
}
