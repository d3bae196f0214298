using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tunnel.Agent.Link;
using Tunnel.Agent.Outbox;
using Tunnel.Core.Contracts;
using Tunnel.EndToEnd.Tests.Support;
using Tunnel.Mqtt;
using Tunnel.Mqtt.Tests;
using Tunnel.WebConsole.Api;
using Xunit.Abstractions;

namespace Tunnel.EndToEnd.Tests;

/// <summary>`tunnel central` with TLS where its traffic leaves the machine: the agents' MQTT, an external broker, the console.</summary>
public sealed class TlsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly AgentIdentity Identity = new("maoliling", "north", Portal.Entry, 1, "maoliling-north-entry-1");
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki = new();

    public void Dispose()
    {
        _pki.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_agent_on_the_network_listener_delivers_over_TLS_and_again_after_the_private_broker_crashed()
    {
        var (cert, key) = _pki.IssueServer("broker");
        var settings = Hosts.Embedded(Path.Combine(_dir.Path, "central"));
        settings["Tunnel:Broker:NetworkListener:Host"] = "127.0.0.1";
        settings["Tunnel:Broker:NetworkListener:Port"] = "0";
        settings["Tunnel:Broker:NetworkListener:CertFile"] = cert;
        settings["Tunnel:Broker:NetworkListener:KeyFile"] = key;
        await using var host = await Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output));
        using var outbox = PassageOutbox.Open(Path.Combine(_dir.Path, "agent"), Identity.AgentId);
        var login = new BrokerLogin("127.0.0.1", host.BrokerTlsPort!.Value, Identity.AgentId, host.Credentials!.For(Identity.AgentId), new MqttTls(_pki.CaFile));
        await using var link = new AgentLink(Identity, login, outbox, TimeProvider.System, NullLogger.Instance) { StatusEvery = TimeSpan.FromSeconds(1) };
        link.Start();

        var first = outbox.Add(Passage("浙J00001"), snapshot: null);
        link.Notify();
        await Wait.UntilAsync(() => outbox.Depth == 0, "the passage acknowledged over TLS");

        // The service starts its broker again on the same ports; libmosquitto's TLS client must come back by itself, not after the
        // two minutes the agent gives a client before replacing it.
        var crashed = host.EmbeddedBrokerProcessId!.Value;
        System.Diagnostics.Process.GetProcessById(crashed).Kill();
        await Wait.UntilAsync(() => host.EmbeddedBrokerProcessId is { } pid && pid != crashed, "the private broker started again");
        var second = outbox.Add(Passage("浙J00002"), snapshot: null);
        link.Notify();
        await Wait.UntilAsync(() => outbox.Depth == 0, "the passage after the crash acknowledged over TLS", TimeSpan.FromSeconds(60));

        var stored = host.Store.ReadPassages(DateTimeOffset.MinValue).Select(p => p.Passage.EventId).ToHashSet();
        Assert.Contains(first.EventId, stored);
        Assert.Contains(second.EventId, stored);
        Assert.Null(link.LastError);
    }

    [Fact]
    public async Task The_service_reaches_an_external_broker_over_TLS_and_refuses_one_whose_certificate_another_CA_signed()
    {
        var (cert, key) = _pki.IssueServer("external");
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string> { ["central"] = "central-secret" },
            TlsListener = new MosquittoTlsListener("127.0.0.1", 0, cert, key),
        });
        var settings = Hosts.External(Path.Combine(_dir.Path, "central"), broker, "central", "central-secret");
        settings["Tunnel:Broker:Port"] = broker.TlsPort!.Value.ToString(CultureInfo.InvariantCulture);
        settings["Tunnel:Broker:CaFile"] = _pki.CaFile;

        // A client without TLS would wait on the TLS port for ever: the deadline turns that into a failure.
        await using (var host = await Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output)).WaitAsync(Wait.Deadline))
        {
            using var http = new HttpClient { BaseAddress = Hosts.HttpBase(host) };
            var health = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/healthz");
            Assert.Equal("connected", health.GetProperty("broker").GetString());
        }

        using var other = new TestPki("Another CA");
        settings["Tunnel:Broker:CaFile"] = other.CaFile;
        var error = await Assert.ThrowsAsync<MqttException>(() => Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output)).WaitAsync(Wait.Deadline));
        Assert.Contains("TLS", error.Message);
        Assert.Contains(other.CaFile, error.Message);
    }

    [Fact]
    public async Task The_service_connects_again_by_itself_after_an_external_brokers_certificate_failed_and_was_put_right()
    {
        // The broker reads its certificate from these two files at every start; the test changes what they hold.
        var (certFile, keyFile) = (Path.Combine(_dir.Path, "broker.crt"), Path.Combine(_dir.Path, "broker.key"));
        var good = _pki.IssueServer("external");
        using var other = new TestPki("Another CA");
        var bad = other.IssueServer("external");
        void Serve((string Cert, string Key) certificate)
        {
            File.Copy(certificate.Cert, certFile, overwrite: true);
            File.Copy(certificate.Key, keyFile, overwrite: true);
        }
        Serve(good);
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            Users = new Dictionary<string, string>
            {
                ["central"] = "central-secret", [Identity.AgentId] = "agent-secret", ["observer"] = "observer-secret",
            },
            TlsListener = new MosquittoTlsListener("127.0.0.1", 0, certFile, keyFile),
        });
        var settings = Hosts.External(Path.Combine(_dir.Path, "central"), broker, "central", "central-secret");
        settings["Tunnel:Broker:Port"] = broker.TlsPort!.Value.ToString(CultureInfo.InvariantCulture);
        settings["Tunnel:Broker:CaFile"] = _pki.CaFile;
        // An agent silent this long is alarmed: the alarm is raised while the service has no broker, and must go out once it has one.
        settings["Tunnel:AgentSilentSeconds"] = "5";
        var lines = new LogLines();
        using var logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning)
            .AddProvider(new TestOutputLoggerProvider(output)).AddProvider(lines));
        await using var host = await Hosts.StartAsync(settings, logs);
        using var http = new HttpClient { BaseAddress = Hosts.HttpBase(host) };
        // On the broker's plain loopback listener, as a consumer of the alarms on the broker's machine; its persistent
        // session keeps what is published while it reconnects after the broker's restarts.
        var alarms = new Inbox<AlarmTransition>();
        await using var observer = new MqttClient(new MqttClientOptions
        {
            Host = broker.Host, Port = broker.Port, ClientId = "alarm-observer", Username = "observer", Password = "observer-secret",
            CleanStart = false, SessionExpirySeconds = 3600,
        });
        await observer.ConnectAsync();
        var reading = Task.Run(async () =>
        {
            await foreach (var m in observer.Messages.ReadAllAsync())
                alarms.Add(TunnelJson.Deserialize<AlarmTransition>(System.Text.Encoding.UTF8.GetString(m.Payload))!);
        });
        await observer.SubscribeAsync(Topics.Alarms("maoliling"), 1);
        await using var agent = await TestAgent.ConnectAsync(broker.Host, broker.Port, _ => "agent-secret", "north", Portal.Entry, 1);
        var online = new AgentStatus { AgentId = agent.AgentId, Online = true, Site = "maoliling", Bore = "north", Portal = Portal.Entry, Lane = 1 };
        await agent.Client.PublishAsync(Topics.AgentStatus("maoliling", agent.AgentId), System.Text.Encoding.UTF8.GetBytes(TunnelJson.Serialize(online)), 1);
        await agent.Acks.FirstAsync(_ => true, "the service's acknowledgement of the agent's status");
        Assert.Equal("healthy", await Status(http));

        // The broker comes back with a certificate the service's CA did not sign: its client's reconnect fails the handshake,
        // and libmosquitto's network loop ends for good.
        Serve(bad);
        await broker.RestartAsync();
        await Wait.UntilAsync(() => Status(http).GetAwaiter().GetResult() == "unhealthy", "/healthz unhealthy without the broker");
        var offline = await Wait.UntilAsync(() => host.Service.Snapshot.OpenAlarms.FirstOrDefault(a => a.Kind == AlarmKind.AgentOffline),
            "the silent agent alarmed while the service has no broker");
        var passage = await agent.SendAsync(DateTimeOffset.UtcNow, "浙J00003");
        Assert.DoesNotContain(alarms.Items, a => a.AlarmId == offline.AlarmId);
        Assert.Equal(0, host.Service.Snapshot.Accepted);

        Serve(good);
        await broker.RestartAsync();
        await Wait.UntilAsync(() => Status(http).GetAwaiter().GetResult() == "healthy", "/healthz healthy again", TimeSpan.FromSeconds(90));
        // Waiting in the service's persistent session while it had no connection.
        await Wait.UntilAsync(() => host.Store.ReadPassages(DateTimeOffset.MinValue).Any(p => p.Passage.EventId == passage.EventId),
            "the passage sent while the service was disconnected stored");
        await agent.AckAsync(passage.Seq);
        // Raised while disconnected, published once connected.
        var published = await alarms.FirstAsync(a => a.AlarmId == offline.AlarmId, "the agent-offline alarm raised while disconnected published");
        Assert.Equal(AlarmState.ActiveUnacknowledged, published.State);
        // Each failed attempt logged once with its reason, the attempts spaced out: not a line per millisecond.
        var failures = lines.Items.Where(l => l.Contains("TLS", StringComparison.Ordinal) && l.Contains("again", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(failures);
        Assert.True(failures.Count <= 10, $"{failures.Count} lines about the failed connection:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");

        await observer.DisposeAsync();
        await reading;
    }

    private static async Task<string> Status(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("status").GetString()!;
    }

    /// <summary>The warnings and errors the service logged, to count them.</summary>
    private sealed class LogLines : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
        public IReadOnlyList<string> Items => [.. _lines];
        public ILogger CreateLogger(string categoryName) => new Logger(_lines);
        public void Dispose() { }

        private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) lines.Enqueue(formatter(state, exception));
            }
        }
    }

    [Fact]
    public async Task The_console_serves_HTTPS_configured_by_settings_and_its_session_cookie_is_then_secure()
    {
        var (cert, key) = _pki.IssueServer("console");
        var settings = Hosts.Embedded(Path.Combine(_dir.Path, "central"));
        settings["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0";
        settings["Kestrel:Endpoints:Https:Certificate:Path"] = cert;
        settings["Kestrel:Endpoints:Https:Certificate:KeyPath"] = key;
        settings["Tunnel:Console:AdminPassword"] = "admin-password-for-tls";
        await using var host = await Hosts.StartAsync(settings, TestOutputLoggerProvider.Factory(output));
        var address = Hosts.HttpBase(host);
        Assert.Equal("https", address.Scheme);

        X509Certificate2? presented = null;
        var cookies = new CookieContainer();
        using var handler = new SocketsHttpHandler
        {
            CookieContainer = cookies,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                presented = certificate is null ? null : new X509Certificate2(certificate);
                return presented is not null && TrustedByTestCa(presented, errors);
            } },
        };
        using var http = new HttpClient(handler) { BaseAddress = address };

        var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("CN=console", presented?.Subject);

        var token = await http.GetFromJsonAsync<AntiforgeryToken>("/api/v1/auth/antiforgery");
        http.DefaultRequestHeaders.Add(token!.HeaderName, token.Token);
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new LoginRequest("admin", "admin-password-for-tls"));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var session = cookies.GetCookies(address)["tunnel.auth"];
        Assert.NotNull(session);
        Assert.True(session.Secure, "the session cookie of an HTTPS login is marked Secure");
    }

    /// <summary>The certificate chains to this test's CA alone (not the machine's store) and names the host.</summary>
    private bool TrustedByTestCa(X509Certificate2 certificate, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(_pki.CaFile)));
        return chain.Build(certificate);
    }

    private static Passage Passage(string plate) => new()
    {
        EventId = Guid.Empty, AgentId = Identity.AgentId, Seq = 0, Site = "maoliling", Bore = "north", Portal = Portal.Entry, Lane = 1,
        CameraId = "cam-north-entry-1", CapturedAt = DateTimeOffset.UtcNow,
        Plate = new PlateRead { Text = plate, Color = PlateColor.Blue, Confidence = 0.95 }, Vehicle = new VehicleRead { Class = VehicleClass.Car },
    };
}
