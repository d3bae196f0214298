namespace Tunnel.Mqtt;

/// <summary>A message received from the broker; topic and payload are copies owned by .NET.</summary>
public sealed record MqttMessage(string Topic, byte[] Payload, int Qos, bool Retain);

/// <summary>The message the broker publishes for a client whose connection drops without a DISCONNECT.</summary>
public sealed record MqttWill(string Topic, byte[] Payload, int Qos = 1, bool Retain = true);
