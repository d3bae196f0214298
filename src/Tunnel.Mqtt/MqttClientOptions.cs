namespace Tunnel.Mqtt;

/// <summary>How an <see cref="MqttClient"/> connects. The client always speaks MQTT 5.</summary>
public sealed record MqttClientOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;

    /// <summary>Must be stable across restarts for a persistent session to be found again.</summary>
    public required string ClientId { get; init; }

    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Null: plain TCP, for a broker on the same machine. Set: TLS, whose failure <see cref="MqttClient.ConnectAsync"/> reports rather than retries.</summary>
    public MqttTls? Tls { get; init; }

    /// <summary>False resumes the session the broker kept for <see cref="ClientId"/>, if any.</summary>
    public bool CleanStart { get; init; } = true;

    /// <summary>
    /// How long the broker keeps the session (subscriptions and queued QoS 1/2 messages) after a
    /// disconnect. 0 ends it on disconnect; with MQTT 5 this, not <see cref="CleanStart"/>, is what
    /// makes the broker queue messages for an absent client.
    /// </summary>
    public uint SessionExpirySeconds { get; init; }

    public int KeepAliveSeconds { get; init; } = 30;
    public MqttWill? Will { get; init; }

    /// <summary>First wait before reconnecting after a lost connection; doubles up to <see cref="ReconnectDelayMax"/>. Whole seconds.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectDelayMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// QoS 1/2 messages in flight each way: sent but not yet acknowledged (more wait inside the
    /// client), and received-window announced to the broker (MQTT 5 Receive Maximum).
    /// </summary>
    public int MaxInflight { get; init; } = 20;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ClientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveSeconds, 5); // libmosquitto's own lower bound
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInflight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInflight, 65535);
        if (ReconnectDelay < TimeSpan.FromSeconds(1) || ReconnectDelayMax < ReconnectDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectDelay),
                "ReconnectDelay must be at least 1 s and ReconnectDelayMax at least ReconnectDelay (libmosquitto counts whole seconds).");
        }

        Tls?.Validate();
        if (Will is { } will)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(will.Topic);
            MqttClient.ValidateQos(will.Qos);
        }
    }
}
