namespace Tunnel.Mqtt;

/// <summary>
/// An MQTT operation failed. <see cref="ReasonCode"/> is set when the broker refused it (MQTT 5
/// reason code, e.g. 135 "not authorized"); <see cref="LibraryError"/> when libmosquitto itself
/// failed (a <c>MOSQ_ERR_*</c> value, e.g. 25 "packet too large").
/// </summary>
public sealed class MqttException : Exception
{
    public MqttException(string message, int? reasonCode = null, int? libraryError = null, Exception? inner = null)
        : base(message, inner)
    {
        ReasonCode = reasonCode;
        LibraryError = libraryError;
    }

    /// <summary>MQTT 5 reason code sent by the broker (0x80 and above are failures).</summary>
    public int? ReasonCode { get; }

    /// <summary>libmosquitto error code (<c>enum mosq_err_t</c>).</summary>
    public int? LibraryError { get; }
}
