using Tunnel.Mqtt;

namespace Tunnel.Central.Service;

/// <summary>
/// Publishes without waiting for the broker's PUBACK: the loop and the writer must keep deciding and
/// storing while a slow or absent broker holds a message (the client keeps QoS 1 messages and sends
/// them after a reconnect).
/// </summary>
internal static class FireAndObserve
{
    /// <summary>
    /// Starts a QoS 1 publish; false with the reason when the client refused it outright (closed, too
    /// large, or no client while a new one connects), in which case the caller keeps the message. A refusal by the broker later (an
    /// <see cref="MqttException"/> with its reason code), or the client closed or replaced first, is reported to <paramref name="failedLater"/>,
    /// the broker's acceptance to <paramref name="accepted"/>, both on the MQTT client's network thread (so they must be quick).
    /// </summary>
    public static bool TryPublish(BrokerConnection mqtt, string topic, byte[] payload, bool retain, Action<Exception> failedLater, out string? refused,
        Action? accepted = null)
    {
        try
        {
            // No task: nobody awaits it, and a task's completion would wake a pool thread for every PUBACK.
            mqtt.Publish(topic, payload, 1, retain, failedLater, accepted);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            refused = e.Message;
            return false;
        }
        refused = null;
        return true;
    }
}
