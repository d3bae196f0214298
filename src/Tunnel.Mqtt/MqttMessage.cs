namespace Tunnel.Mqtt;

/// <summary>A message received from the broker; topic and payload are copies owned by .NET.</summary>
public sealed record MqttMessage(string Topic, byte[] Payload, int Qos, bool Retain)
{
    /// <summary>When the client's network thread received it (<see cref="System.Diagnostics.Stopwatch"/> ticks): how long it then waited is the reader's.</summary>
    public long ReceivedTimestamp { get; init; }
}

/// <summary>The message the broker publishes for a client whose connection drops without a DISCONNECT.</summary>
public sealed record MqttWill(string Topic, byte[] Payload, int Qos = 1, bool Retain = true);
