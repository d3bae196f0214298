using System.Text;

namespace Tunnel.Mqtt.Tests;

internal static class TestSupport
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    public const string CentralUser = "central";
    public const string CentralPassword = "central-secret";
    public const string AgentUser = "agent-north-entry";
    public const string AgentPassword = "agent-secret";

    public static Task<MosquittoBroker> StartBrokerAsync(IReadOnlyList<MosquittoAclRule>? acl = null, int maxPacketSize = 256 * 1024) =>
        MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { [CentralUser] = CentralPassword, [AgentUser] = AgentPassword },
            Acl = acl ?? [],
            MaxPacketSize = maxPacketSize,
        });

    public static MqttClientOptions CentralOptions(MosquittoBroker broker, string clientId) => new()
    {
        Host = broker.Host,
        Port = broker.Port,
        ClientId = clientId,
        Username = CentralUser,
        Password = CentralPassword,
    };

    public static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
    {
        var client = new MqttClient(options);
        await client.ConnectAsync().WaitAsync(WaitLimit);
        return client;
    }

    public static async Task<MqttMessage> NextMessageAsync(this MqttClient client) =>
        await client.Messages.ReadAsync().AsTask().WaitAsync(WaitLimit);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(this MqttMessage message) => Encoding.UTF8.GetString(message.Payload);

    /// <summary>
    /// Completes when the client reports the given connection state. Events reach handlers after the fact: ask for a
    /// state only once the opposite one has been seen, or an earlier event may complete it.
    /// </summary>
    public static Task WhenConnectionIs(this MqttClient client, bool connected)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionChanged += state =>
        {
            if (state == connected)
            {
                seen.TrySetResult();
            }
        };
        return seen.Task.WaitAsync(WaitLimit);
    }
}
