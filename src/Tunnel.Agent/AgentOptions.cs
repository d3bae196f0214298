using System.Text.Json;
using Tunnel.Agent.Link;
using Tunnel.Agent.Vision;
using Tunnel.Recognition.Plates;
using Tunnel.Core.Contracts;
using Tunnel.Core.Validation;
using Tunnel.Mqtt;

namespace Tunnel.Agent;

/// <summary>
/// The "Agent" section of an agent's configuration file (appsettings style; every key can be
/// overridden by an environment variable, e.g. TUNNEL_AGENT__BROKER__PASSWORD). One agent watches
/// one lane of one portal through one camera.
/// </summary>
public sealed class AgentOptions
{
    public string Site { get; set; } = "";
    public string Bore { get; set; } = "";
    public Portal Portal { get; set; } = Portal.Entry;
    public int Lane { get; set; } = 1;
    /// <summary>Defaults to cam-{bore}-{portal}-{lane}.</summary>
    public string? CameraId { get; set; }
    /// <summary>rtsp://…, http(s)://…, a video file, or a folder of still images (one vehicle each).</summary>
    public string Source { get; set; } = "";
    /// <summary>A video file plays at its own pace (true, like a camera) or as fast as it decodes (false, for tests and back-filling).</summary>
    public bool RealTime { get; set; } = true;
    /// <summary>The lane in the image: x, y, width, height in pixels. Empty: the whole frame.</summary>
    public int[] Region { get; set; } = [];
    /// <summary>Where the virtual loop lies, as a fraction of the region's height from its top.</summary>
    public double LoopLine { get; set; } = 0.6;
    /// <summary>Calibration for the vehicle size; 0 leaves the class to the plate.</summary>
    public double PixelsPerMetre { get; set; }
    public string DataDirectory { get; set; } = "agent-data";
    /// <summary>A sites file to check site, bore and lane against (recommended).</summary>
    public string? SitesFile { get; set; }
    public bool Snapshots { get; set; } = true;
    public int StatusEverySeconds { get; set; } = 10;
    /// <summary>Snapshots give way first when the outbox grows past this (a long outage).</summary>
    public int OutboxSnapshotBudgetMb { get; set; } = 512;
    public AgentBrokerOptions Broker { get; set; } = new();

    public string AgentId => PassageValidator.ConventionalAgentId(Site, Bore, Portal, Lane);
    public string EffectiveCameraId => CameraId ?? $"cam-{Bore}-{TunnelJson.Name(Portal)}-{Lane}";
    public AgentIdentity Identity => new(Site, Bore, Portal, Lane, AgentId);

    /// <summary>The lane as the camera's frames show it; the region defaults to the frame, whose size only the camera knows.</summary>
    public LaneView LaneView(int frameWidth, int frameHeight)
    {
        var r = Region.Length == 4 ? Region : [0, 0, frameWidth, frameHeight];
        return new LaneView(Lane, new RegionOfInterest(r[0], r[1], r[2], r[3]), LoopLine, PixelsPerMetre);
    }

    /// <summary>Every problem with the configuration, each in words a technician on a ladder can act on; empty when it is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Site)) errors.Add("Agent:Site is required");
        if (string.IsNullOrWhiteSpace(Bore)) errors.Add("Agent:Bore is required");
        if (Lane < 1) errors.Add($"Agent:Lane must be 1 or more (lanes are counted from 1), not {Lane}");
        if (string.IsNullOrWhiteSpace(Source)) errors.Add("Agent:Source is required: an rtsp:// or http:// URL, a video file or a folder of images");
        else if (!Source.Contains("://", StringComparison.Ordinal) && !File.Exists(Source) && !Directory.Exists(Source))
            errors.Add($"Agent:Source '{Sources.SourceText.Redact(Source)}' is neither a URL nor an existing file or folder");
        if (Region.Length is not (0 or 4)) errors.Add("Agent:Region must be [x, y, width, height] or empty for the whole frame");
        else if (Region.Length == 4 && (Region[0] < 0 || Region[1] < 0 || Region[2] < 16 || Region[3] < 16))
            errors.Add($"Agent:Region [{string.Join(", ", Region)}] must start inside the frame and be at least 16x16 pixels");
        if (LoopLine is <= 0.05 or >= 0.95) errors.Add($"Agent:LoopLine {LoopLine} must lie inside the region (between 0.05 and 0.95)");
        if (StatusEverySeconds < 1) errors.Add("Agent:StatusEverySeconds must be at least 1");
        if (string.IsNullOrWhiteSpace(Broker.Host)) errors.Add("Agent:Broker:Host is required");
        if (Broker.Port is < 1 or > 65535) errors.Add($"Agent:Broker:Port {Broker.Port} is not a TCP port");
        if (string.IsNullOrEmpty(Broker.Password) && string.IsNullOrEmpty(Broker.CredentialsFile))
            errors.Add("Agent:Broker:Password (or Agent:Broker:CredentialsFile) is required: agents always log in");
        else if (!string.IsNullOrEmpty(Broker.CredentialsFile) && !File.Exists(Broker.CredentialsFile))
            errors.Add($"Agent:Broker:CredentialsFile '{Broker.CredentialsFile}' does not exist");
        errors.AddRange(Broker.TlsProblems());
        if (SitesFile is { Length: > 0 } path && errors.Count == 0) errors.AddRange(CheckAgainstSites(path));
        return errors;
    }

    private IEnumerable<string> CheckAgainstSites(string path)
    {
        SitesFile sites;
        try { sites = Core.Contracts.SitesFile.Load(path); }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException or InvalidOperationException)
        {
            return [$"Agent:SitesFile '{path}' cannot be read: {e.Message}"];
        }
        var site = sites.Sites.FirstOrDefault(s => s.Id == Site);
        if (site is null) return [$"unknown site '{Site}' (the sites file has {string.Join(", ", sites.Sites.Select(s => s.Id))})"];
        var bore = site.Bores.FirstOrDefault(b => b.Id == Bore);
        if (bore is null) return [$"unknown bore '{Bore}' in site '{Site}' (it has {string.Join(", ", site.Bores.Select(b => b.Id))})"];
        return Lane > bore.Lanes ? [$"unknown lane {Lane}: bore '{Bore}' has {bore.Lanes} lane(s)"] : [];
    }

    public BrokerLogin Login()
    {
        var password = Broker.Password;
        if (string.IsNullOrEmpty(password) && Broker.CredentialsFile is { Length: > 0 } file)
        {
            var all = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file)) ?? [];
            password = all.TryGetValue(Broker.Username ?? AgentId, out var p) ? p
                : throw new InvalidOperationException($"{file} has no password for '{Broker.Username ?? AgentId}'");
        }
        return new BrokerLogin(Broker.Host, Broker.Port, Broker.Username ?? AgentId, password!, Broker.Tls);
    }
}

public sealed class AgentBrokerOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 18830;
    /// <summary>Defaults to the agent id, as the central service's private broker names its users.</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>The private broker's generated credentials (data/broker/credentials.json), for an agent on the central machine.</summary>
    public string? CredentialsFile { get; set; }
    /// <summary>Set: TLS to the broker's TLS listener, its certificate checked against this CA (PEM) and against Host.</summary>
    public string? CaFile { get; set; }
    /// <summary>With <see cref="KeyFile"/>: a client certificate (PEM), for a broker that asks for one.</summary>
    public string? CertFile { get; set; }
    public string? KeyFile { get; set; }

    public MqttTls? Tls => MqttTls.FromSettings(CaFile, CertFile, KeyFile);

    internal IEnumerable<string> TlsProblems() => MqttTls.SettingsProblems("Agent:Broker", CaFile, CertFile, KeyFile);
}
