using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Tunnel.Core.Contracts;
using Tunnel.Mqtt;

namespace Tunnel.Cli.Hosting;

/// <summary>
/// The private mosquitto of the embedded default: a user for the central service and one per edge
/// agent (the agents of every active camera of every bore in the sites file), each agent allowed to publish
/// only under its own site/bore/portal, passwords generated once and kept in the data directory.
/// </summary>
public static class EmbeddedBroker
{
    public const string CentralUser = "central";
    private static readonly TimeSpan PortReleaseWait = TimeSpan.FromSeconds(7);

    /// <param name="tlsListener">A second listener, with TLS, for the edge agents on the network; none by default.</param>
    public static async Task<(MosquittoBroker Broker, BrokerCredentials Credentials)> StartAsync(
        string dataDirectory, SitesFile sites, string host, int port, CancellationToken ct, bool saveOnEveryChange = false,
        MosquittoTlsListener? tlsListener = null)
    {
        var dir = Path.Combine(dataDirectory, "broker");
        Directory.CreateDirectory(dir);
        var (credentials, users, acl) = Access(dir, sites);
        // The previous run's broker, if that run was killed, takes up to 5 s to save its data and go (see MosquittoBroker's
        // watchdog): a service restarted at once waits for it rather than taking it for another program.
        var givingUpAt = Stopwatch.GetTimestamp() + (long)(PortReleaseWait.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                return (await StartBrokerAsync(), credentials);
            }
            catch (BrokerPortInUseException) when (Stopwatch.GetTimestamp() < givingUpAt)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
            catch (BrokerPortInUseException e) when (tlsListener is not null && e.Port == tlsListener.Port && e.Port != port)
            {
                throw new ConfigurationProblem([$"Tunnel:Broker:NetworkListener:Port {e.Port} on {tlsListener.Host} is already in use: another MQTT broker runs on this machine. Stop it, or give this one another port (environment variable Tunnel__Broker__NetworkListener__Port)"]);
            }
            catch (BrokerPortInUseException)
            {
                throw new ConfigurationProblem([$"Tunnel:Broker:Port {port} on {host} is already in use: another Tunnel or MQTT broker runs on this machine. Stop it, or give this one another port (environment variable Tunnel__Broker__Port)"]);
            }
        }

        Task<MosquittoBroker> StartBrokerAsync() => MosquittoBroker.StartAsync(new MosquittoBrokerOptions
        {
            DataDirectory = dir, Host = host, Port = port, Users = users, Acl = acl, TlsListener = tlsListener,
            // Not on every change: `tunnel bench` measured the broker rewriting its database after each
            // message falling behind already at 250 passages/s (p50 1.7 s) and delivering nothing at
            // 1,000-2,000/s, while the default autosave carried 2,000/s. No passage rests on the
            // broker's file anyway: an agent keeps each one until the service's end-to-end ack says
            // it is stored, and the service ignores the duplicates a broker restart brings back.
            SaveOnEveryChange = saveOnEveryChange,
        }, ct);
    }

    /// <summary>
    /// After the sites changed at run time: users and ACL for the agents of the new sites file, and
    /// mosquitto told to read them again (no restart; connected agents stay connected). Agents of
    /// retired cameras, lanes or bores lose their login; their passwords stay in the credentials file in case they return.
    /// </summary>
    public static async Task<BrokerCredentials> ReconfigureAsync(MosquittoBroker broker, string dataDirectory, SitesFile sites, CancellationToken ct)
    {
        var (credentials, users, acl) = Access(Path.Combine(dataDirectory, "broker"), sites);
        await broker.ReloadAsync(users, acl, ct);
        return credentials;
    }

    private static (BrokerCredentials Credentials, IReadOnlyDictionary<string, string> Users, List<MosquittoAclRule> Acl) Access(string dir, SitesFile sites)
    {
        var credentials = BrokerCredentials.LoadOrCreate(Path.Combine(dir, "credentials.json"), AgentIds(sites));
        var current = AgentIds(sites).Prepend(CentralUser).ToHashSet(StringComparer.Ordinal);
        var users = credentials.Passwords.Where(p => current.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var acl = new List<MosquittoAclRule> { MosquittoAclRule.ForUser(CentralUser, MqttTopicAccess.ReadWrite, "tunnel/v1/#") };
        foreach (var (site, bore, portal, agent) in Agents(sites))
        {
            acl.Add(MosquittoAclRule.ForUser(agent, MqttTopicAccess.Write, $"tunnel/v1/{site}/{bore}/{TunnelJson.Name(portal)}/#"));
            acl.Add(MosquittoAclRule.ForUser(agent, MqttTopicAccess.ReadWrite, $"tunnel/v1/{site}/agents/{agent}/status"));
            acl.Add(MosquittoAclRule.ForUser(agent, MqttTopicAccess.Read, $"tunnel/v1/{site}/agents/{agent}/ack"));
        }
        return (credentials, users, acl);
    }

    /// <summary>The agent id convention of a deployment, one agent per active portal camera and one such camera per lane; the convention the validator holds passages to (<see cref="Core.Validation.PassageValidator.ConventionalAgentId"/>).</summary>
    public static string AgentId(string site, string bore, Portal portal, int lane) => Core.Validation.PassageValidator.ConventionalAgentId(site, bore, portal, lane);

    public static IEnumerable<string> AgentIds(SitesFile sites) => Agents(sites).Select(a => a.AgentId);

    private static IEnumerable<(string Site, string Bore, Portal Portal, string AgentId)> Agents(SitesFile sites) =>
        sites.ActiveCameraAgents().Select(a => (a.Site.Id, a.Bore.Id, a.Camera.Portal, a.AgentId));
}

/// <summary>Generated broker passwords, readable only by the owner of the data directory.</summary>
public sealed record BrokerCredentials(IReadOnlyDictionary<string, string> Passwords)
{
    public static BrokerCredentials LoadOrCreate(string path, IEnumerable<string> agents)
    {
        var passwords = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : new Dictionary<string, string>();
        var changed = false;
        foreach (var user in agents.Prepend(EmbeddedBroker.CentralUser))
            if (!passwords.ContainsKey(user)) { passwords[user] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)); changed = true; }
        if (changed)
        {
            // Created owner-only, never readable for a moment by others.
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new StreamWriter(path, options))
                file.Write(JsonSerializer.Serialize(passwords, new JsonSerializerOptions { WriteIndented = true }));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return new BrokerCredentials(passwords);
    }

    public string For(string user) => Passwords.TryGetValue(user, out var p) ? p : throw new InvalidOperationException($"no broker credentials for '{user}'");
}
