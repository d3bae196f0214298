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
    /// large), in which case the caller keeps the message. A refusal by the broker later is reported to <paramref name="failedLater"/>.
    /// </summary>
    public static bool TryPublish(MqttClient mqtt, string topic, byte[] payload, bool retain, Action<string> failedLater, out string? refused)
    {
        var publish = mqtt.PublishAsync(topic, payload, 1, retain);
        if (publish.IsFaulted)
        {
            refused = publish.Exception.GetBaseException().Message;
            return false;
        }
        refused = null;
        publish.ContinueWith(t => failedLater(t.Exception!.GetBaseException().Message), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }
}
