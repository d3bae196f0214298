using System.Runtime.InteropServices;

namespace Tunnel.Mqtt.Native;

/// <summary>The part of libmosquitto 2.0's C API this library uses (see mosquitto.h).</summary>
internal static unsafe partial class LibMosquitto
{
    public const string LibraryName = "libmosquitto.so.1";

    public const int ProtocolV5 = 5;
    public const int OptionProtocolVersion = 1;
    public const int OptionReceiveMaximum = 4;
    public const int OptionSendMaximum = 5;
    public const int OptionTcpNoDelay = 11;

    public const int ErrSuccess = 0;
    public const int ErrNoConnection = 4;
    public const int ErrConnectionLost = 7;
    public const int ErrTls = 8;
    public const int ErrErrno = 14;
    public const int ErrOversizePacket = 25;

    /// <summary>OpenSSL's SSL_VERIFY_PEER, for <see cref="TlsOptsSet"/>: the broker's certificate must verify or the connection is dropped.</summary>
    public const int SslVerifyPeer = 1;

    public const int PropertySessionExpiryInterval = 17;

    /// <summary>MOSQ_LOG_ERR.</summary>
    public const int LogError = 0x08;

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_lib_init")]
    public static partial int LibInit();

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_lib_version")]
    public static partial int LibVersion(out int major, out int minor, out int revision);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_new", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint New(string id, [MarshalAs(UnmanagedType.U1)] bool cleanSession, nint obj);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_destroy")]
    public static partial void Destroy(nint mosq);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_int_option")]
    public static partial int IntOption(nint mosq, int option, int value);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_username_pw_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UsernamePasswordSet(nint mosq, string? username, string? password);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_tls_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TlsSet(nint mosq, string? caFile, string? caPath, string? certFile, string? keyFile,
        delegate* unmanaged<byte*, int, int, nint, int> passwordCallback);

    /// <summary><paramref name="tlsVersion"/> "tlsv1.2" leaves TLS 1.2 and 1.3 on (libmosquitto turns off only the older ones).</summary>
    [LibraryImport(LibraryName, EntryPoint = "mosquitto_tls_opts_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TlsOptsSet(nint mosq, int certReqs, string? tlsVersion, string? ciphers);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_will_set_v5", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int WillSetV5(nint mosq, string topic, int payloadLength, byte* payload, int qos,
        [MarshalAs(UnmanagedType.U1)] bool retain, nint properties);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_reconnect_delay_set")]
    public static partial int ReconnectDelaySet(nint mosq, uint delaySeconds, uint delayMaxSeconds,
        [MarshalAs(UnmanagedType.U1)] bool exponentialBackoff);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_connect_bind_v5", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ConnectBindV5(nint mosq, string host, int port, int keepAlive, string? bindAddress, nint properties);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_disconnect_v5")]
    public static partial int DisconnectV5(nint mosq, int reasonCode, nint properties);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_loop_start")]
    public static partial int LoopStart(nint mosq);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_loop_stop")]
    public static partial int LoopStop(nint mosq, [MarshalAs(UnmanagedType.U1)] bool force);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_socket")]
    public static partial int Socket(nint mosq);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_publish_v5", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PublishV5(nint mosq, out int mid, string topic, int payloadLength, byte* payload, int qos,
        [MarshalAs(UnmanagedType.U1)] bool retain, nint properties);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_subscribe_v5", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SubscribeV5(nint mosq, out int mid, string filter, int qos, int options, nint properties);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_unsubscribe_v5", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnsubscribeV5(nint mosq, out int mid, string filter, nint properties);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_property_add_int32")]
    public static partial int PropertyAddInt32(ref nint propertyList, int identifier, uint value);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_property_free_all")]
    public static partial void PropertyFreeAll(ref nint propertyList);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_strerror")]
    public static partial nint StrError(int errorCode);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_reason_string")]
    public static partial nint ReasonString(int reasonCode);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_connect_v5_callback_set")]
    public static partial void ConnectV5CallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, int, nint, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_disconnect_v5_callback_set")]
    public static partial void DisconnectV5CallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, nint, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_publish_v5_callback_set")]
    public static partial void PublishV5CallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, int, nint, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_message_v5_callback_set")]
    public static partial void MessageV5CallbackSet(nint mosq, delegate* unmanaged<nint, nint, MosquittoMessage*, nint, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_log_callback_set")]
    public static partial void LogCallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, nint, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_subscribe_v5_callback_set")]
    public static partial void SubscribeV5CallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, int, int*, nint, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "mosquitto_unsubscribe_v5_callback_set")]
    public static partial void UnsubscribeV5CallbackSet(nint mosq, delegate* unmanaged<nint, nint, int, nint, void> callback);
}

/// <summary>C <c>struct mosquitto_message</c>; sequential layout gives the x64 offsets 0, 8, 16, 24, 28, 32.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MosquittoMessage
{
    public int Mid;
    public nint Topic;
    public nint Payload;
    public int PayloadLength;
    public int Qos;
    public byte Retain;
}
