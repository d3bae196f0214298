using System.Text;
using Tunnel.Mqtt;

namespace Tunnel.WebConsole.Tests;

/// <summary>
/// What a sites change asks of the private broker (the host's hook calls EmbeddedBroker, which
/// computes users and ACL and calls this): new logins and rules, taken without a restart.
/// </summary>
public sealed class BrokerReloadTests
{
    private static readonly TimeSpan Limit = ConsoleHost.WaitLimit;

    private static MqttClient Client(MosquittoBroker broker, string user, string password) => new(new MqttClientOptions
    {
        Host = broker.Host, Port = broker.Port, ClientId = "reload-" + user + "-" + Guid.NewGuid().ToString("N")[..6], Username = user, Password = password,
    });

    private static MosquittoAclRule[] Rules(params string[] agents) =>
    [
        MosquittoAclRule.ForUser("central", MqttTopicAccess.ReadWrite, "tunnel/v1/#"),
        .. agents.Select(a => MosquittoAclRule.ForUser(a, MqttTopicAccess.Write, $"tunnel/v1/s/{a}/entry/#")),
    ];

    [Fact]
    public async Task A_reload_lets_a_new_agent_in_under_its_own_topics_and_shuts_a_retired_one_out_without_a_restart()
    {
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { ["central"] = "c-secret", ["old"] = "o-secret" }, Acl = Rules("old"),
        });
        await using var central = Client(broker, "central", "c-secret");
        await central.ConnectAsync().WaitAsync(Limit);
        await central.SubscribeAsync("tunnel/v1/#").WaitAsync(Limit);

        await using (var before = Client(broker, "new", "n-secret"))
            await Assert.ThrowsAsync<MqttException>(() => before.ConnectAsync().WaitAsync(Limit));

        await broker.ReloadAsync(new Dictionary<string, string> { ["central"] = "c-secret", ["new"] = "n-secret" }, Rules("new"));
        Assert.True(central.IsConnected);

        await using var agent = Client(broker, "new", "n-secret");
        await agent.ConnectAsync().WaitAsync(Limit);
        await agent.PublishAsync("tunnel/v1/s/new/entry/passage", Encoding.UTF8.GetBytes("hello")).WaitAsync(Limit);
        var message = await central.Messages.ReadAsync().AsTask().WaitAsync(Limit);
        Assert.Equal("tunnel/v1/s/new/entry/passage", message.Topic);
        // Its rules are its own: another bore's topic is refused.
        await Assert.ThrowsAsync<MqttException>(() => agent.PublishAsync("tunnel/v1/s/old/entry/passage", Encoding.UTF8.GetBytes("x")).WaitAsync(Limit));

        await using var retired = Client(broker, "old", "o-secret");
        await Assert.ThrowsAsync<MqttException>(() => retired.ConnectAsync().WaitAsync(Limit));
    }
}
