using static Tunnel.Mqtt.Tests.TestSupport;

namespace Tunnel.Mqtt.Tests;

/// <summary>MQTT over TLS between libmosquitto and a real mosquitto, with certificates each test makes.</summary>
public sealed class MqttTlsTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private Task<MosquittoBroker> StartTlsBrokerAsync((string Cert, string Key) server, string? clientCaFile = null, TimeSpan? checkEvery = null) =>
        MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { [CentralUser] = CentralPassword, [AgentUser] = AgentPassword },
            TlsListener = new MosquittoTlsListener("127.0.0.1", 0, server.Cert, server.Key) { ClientCaFile = clientCaFile },
            TlsFileCheckInterval = checkEvery ?? TimeSpan.FromMinutes(1),
        });

    private static MqttClientOptions OverTls(MosquittoBroker broker, string clientId, MqttTls tls) =>
        CentralOptions(broker, clientId) with { Port = broker.TlsPort!.Value, Tls = tls };

    [Fact]
    public async Task Clients_that_trust_the_brokers_CA_connect_over_TLS_publish_and_receive_while_the_loopback_listener_stays_plain()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer());
        Assert.NotEqual(broker.Port, broker.TlsPort);
        await using var subscriber = await ConnectAsync(OverTls(broker, "central-tls", new MqttTls(_pki.CaFile)));
        await using var publisher = await ConnectAsync(OverTls(broker, "agent-tls", new MqttTls(_pki.CaFile)) with { Username = AgentUser, Password = AgentPassword });
        await using var plain = await ConnectAsync(CentralOptions(broker, "central-plain"));
        const string topic = "tunnel/v1/maoliling/north/entry/passage";

        await subscriber.SubscribeAsync("tunnel/v1/+/+/+/passage");
        await plain.SubscribeAsync("tunnel/v1/+/+/+/passage");
        await publisher.PublishAsync(topic, Utf8("{\"plate\":\"浙A12345\"}"));

        Assert.Equal("{\"plate\":\"浙A12345\"}", (await subscriber.NextMessageAsync()).Text());
        Assert.Equal("{\"plate\":\"浙A12345\"}", (await plain.NextMessageAsync()).Text());
    }

    [Fact]
    public async Task A_certificate_renewed_in_place_is_served_to_new_clients_after_the_check_without_a_restart()
    {
        var live = Directory.CreateDirectory(Path.Combine(_pki.Directory, "live")).FullName;
        var (cert, key) = (Path.Combine(live, "server.crt"), Path.Combine(live, "server.key"));
        var first = _pki.IssueServer();
        File.Copy(first.CertFile, cert);
        File.Copy(first.KeyFile, key);
        await using var broker = await StartTlsBrokerAsync((cert, key));
        await using (await ConnectAsync(OverTls(broker, "agent-first-ca", new MqttTls(_pki.CaFile)))) { }
        Assert.False(await broker.ReloadIfTlsFilesChangedAsync(), "nothing changed yet");

        // The renewal: another CA, so only a client served the new certificate can connect.
        using var renewing = new TestPki("Renewing CA");
        var renewed = renewing.IssueServer();
        File.Copy(renewed.CertFile, cert, overwrite: true);
        File.Copy(renewed.KeyFile, key, overwrite: true);
        Assert.True(await broker.ReloadIfTlsFilesChangedAsync().WaitAsync(WaitLimit));

        await using var trustingTheNewCa = await ConnectAsync(OverTls(broker, "agent-new-ca", new MqttTls(renewing.CaFile)));
        await using var trustingTheOldCa = new MqttClient(OverTls(broker, "agent-old-ca", new MqttTls(_pki.CaFile)));
        var error = await Assert.ThrowsAsync<MqttException>(() => trustingTheOldCa.ConnectAsync().WaitAsync(WaitLimit));
        Assert.Contains("TLS", error.Message);
        Assert.False(await broker.ReloadIfTlsFilesChangedAsync(), "read once per change");
    }

    [Fact]
    public async Task The_periodic_check_reloads_a_renewal_that_swaps_a_symlink_as_certbot_does_and_waits_out_a_missing_key()
    {
        // certbot's live/ names are symlinks into archive/; a renewal points them at new files, one after the other.
        var first = _pki.IssueServer();
        var live = Directory.CreateDirectory(Path.Combine(_pki.Directory, "live")).FullName;
        var (cert, key) = (Path.Combine(live, "server.crt"), Path.Combine(live, "server.key"));
        File.CreateSymbolicLink(cert, first.CertFile);
        File.CreateSymbolicLink(key, first.KeyFile);
        await using var broker = await StartTlsBrokerAsync((cert, key), checkEvery: TimeSpan.FromMilliseconds(100));
        var reloads = System.Threading.Channels.Channel.CreateUnbounded<Exception?>();
        broker.TlsFilesReloaded += e => reloads.Writer.TryWrite(e);

        using var renewing = new TestPki("Renewing CA");
        var renewed = renewing.IssueServer();
        // The new certificate is in place, its key not yet there: no reload until both can be read.
        File.Move(renewed.KeyFile, renewed.KeyFile + ".pending");
        PointAt(key, renewed.KeyFile);
        PointAt(cert, renewed.CertFile);
        await using (await ConnectAsync(OverTls(broker, "agent-old-ca", new MqttTls(_pki.CaFile)))) { }
        File.Move(renewed.KeyFile + ".pending", renewed.KeyFile);

        Assert.Null(await reloads.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit));
        await using var trustingTheNewCa = await ConnectAsync(OverTls(broker, "agent-new-ca", new MqttTls(renewing.CaFile)));
        Assert.False(reloads.Reader.TryRead(out _), "one reload for one renewal");

        static void PointAt(string link, string target)
        {
            File.CreateSymbolicLink(link + ".new", target);
            File.Move(link + ".new", link, overwrite: true);
        }
    }

    [Fact]
    public async Task Without_a_TLS_listener_the_broker_listens_on_loopback_alone_with_no_TLS_configured()
    {
        await using var broker = await StartBrokerAsync();

        var config = await File.ReadAllLinesAsync(broker.ConfigPath);

        Assert.Equal($"listener {broker.Port} 127.0.0.1", Assert.Single(config, l => l.StartsWith("listener ", StringComparison.Ordinal)));
        Assert.DoesNotContain(config, l => l.StartsWith("certfile", StringComparison.Ordinal) || l.StartsWith("keyfile", StringComparison.Ordinal));
        Assert.Null(broker.TlsPort);
    }

    [Fact]
    public async Task A_TLS_client_reconnects_by_itself_after_the_broker_crashes_and_restarts()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer());
        // Tries every 1-2 s: a restart slowed by a busy machine must not fall into a long pause of the backoff.
        var retryOften = TimeSpan.FromSeconds(2);
        await using var subscriber = await ConnectAsync(OverTls(broker, "central-tls", new MqttTls(_pki.CaFile)) with { ReconnectDelayMax = retryOften });
        await using var publisher = await ConnectAsync(OverTls(broker, "agent-tls", new MqttTls(_pki.CaFile)) with { ReconnectDelayMax = retryOften });
        await subscriber.SubscribeAsync("tunnel/v1/#");
        var lost = Task.WhenAll(publisher.WhenConnectionIs(false), subscriber.WhenConnectionIs(false));

        broker.Kill();
        await lost;
        // After the loss, so the first connection's event cannot complete it (MqttClientTests, the plain reconnect).
        var back = Task.WhenAll(publisher.WhenConnectionIs(true), subscriber.WhenConnectionIs(true));
        await broker.RestartAsync();
        await back;

        // Retained, because the subscriber's SUBSCRIBE may reach the broker after this publish (another connection).
        await publisher.PublishAsync("tunnel/v1/maoliling/north/exit/passage", Utf8("after restart"), qos: 1, retain: true);
        Assert.Equal("after restart", (await subscriber.NextMessageAsync()).Text());
        Assert.Null(publisher.LastError);
    }

    [Fact]
    public async Task A_client_that_trusts_another_CA_is_refused_with_a_TLS_error_at_once_not_left_waiting()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer());
        using var other = new TestPki("Another CA");
        await using var client = new MqttClient(OverTls(broker, "agent-wrong-ca", new MqttTls(other.CaFile)));

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.True(error.LibraryError is 8 or 23, $"libmosquitto error {error.LibraryError}: {error.Message}");
        Assert.Contains("TLS", error.Message);
        Assert.Contains(other.CaFile, error.Message);
        Assert.False(client.IsConnected);
        Assert.Same(error, client.LastError);
    }

    [Fact]
    public async Task A_broker_certificate_for_another_name_is_refused_so_the_host_name_is_checked()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer("elsewhere", dnsName: "broker.elsewhere.example"));
        await using var client = new MqttClient(OverTls(broker, "agent-wrong-name", new MqttTls(_pki.CaFile)));

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.Contains("TLS", error.Message);
        Assert.Contains("127.0.0.1", error.Message);
    }

    [Fact]
    public async Task A_broker_that_asks_for_client_certificates_takes_one_signed_by_its_CA_and_refuses_a_client_without()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer(), clientCaFile: _pki.CaFile);
        var (cert, key) = _pki.IssueClient("agent-north-entry");

        await using var withCertificate = await ConnectAsync(OverTls(broker, "agent-cert", new MqttTls(_pki.CaFile) { CertFile = cert, KeyFile = key }));
        await withCertificate.PublishAsync("tunnel/v1/maoliling/north/entry/passage", Utf8("{}"));
        await using var without = new MqttClient(OverTls(broker, "agent-no-cert", new MqttTls(_pki.CaFile)));
        var error = await Assert.ThrowsAsync<MqttException>(() => without.ConnectAsync().WaitAsync(WaitLimit));

        Assert.True(withCertificate.IsConnected);
        Assert.True(error.Message.Contains("TLS", StringComparison.Ordinal), error.Message);
    }

    /// <summary>A port mixed up on the ladder: the agent set for TLS, pointed at the broker's plain listener, says so rather than waits.</summary>
    [Fact]
    public async Task A_TLS_client_pointed_at_a_plain_listener_fails_with_a_TLS_error_instead_of_waiting()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer());
        await using var client = new MqttClient(CentralOptions(broker, "agent-plain-port") with { Tls = new MqttTls(_pki.CaFile) });

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.Contains("TLS", error.Message);
        Assert.Contains($"{broker.Port}", error.Message);
        Assert.False(client.IsConnected);
    }

    /// <summary>The other mix-up: an agent without TLS pointed at the TLS listener.</summary>
    [Fact]
    public async Task A_plain_client_pointed_at_the_TLS_listener_fails_instead_of_waiting()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer());
        await using var client = new MqttClient(CentralOptions(broker, "agent-tls-port") with { Port = broker.TlsPort!.Value });

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.Contains($"{broker.TlsPort}", error.Message);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task A_CA_file_that_does_not_exist_is_named_before_anything_is_sent()
    {
        await using var broker = await StartTlsBrokerAsync(_pki.IssueServer());
        var missing = Path.Combine(_pki.Directory, "missing-ca.crt");
        await using var client = new MqttClient(OverTls(broker, "agent-missing-ca", new MqttTls(missing)));

        var error = await Assert.ThrowsAsync<MqttException>(() => client.ConnectAsync().WaitAsync(WaitLimit));

        Assert.Contains(missing, error.Message);
        Assert.Contains("readable", error.Message);
    }
}
