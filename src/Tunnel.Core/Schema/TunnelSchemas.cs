namespace Tunnel.Core.Schema;

/// <summary>
/// The schemas published in the repository's <c>schemas/</c> folder, embedded in this assembly so
/// the service validates against exactly what it publishes.
/// </summary>
public static class TunnelSchemas
{
    public const string PassageFile = "tunnel.passage.v1.schema.json";
    public const string AlarmFile = "tunnel.alarm.v1.schema.json";
    public const string SitesFile = "tunnel.sites.v1.schema.json";

    private const string ResourcePrefix = "Tunnel.Core.Schemas.";

    private static readonly Lazy<JsonSchema> passage = new(() => Load(PassageFile));
    private static readonly Lazy<JsonSchema> alarm = new(() => Load(AlarmFile));
    private static readonly Lazy<JsonSchema> sites = new(() => Load(SitesFile));

    public static JsonSchema Passage => passage.Value;
    public static JsonSchema Alarm => alarm.Value;
    public static JsonSchema Sites => sites.Value;

    public static IReadOnlyList<string> FileNames { get; } = [PassageFile, AlarmFile, SitesFile];

    /// <summary>The schema text as published, e.g. to serve it over HTTP.</summary>
    public static string ReadText(string fileName)
    {
        using var stream = typeof(TunnelSchemas).Assembly.GetManifestResourceStream(ResourcePrefix + fileName)
            ?? throw new FileNotFoundException($"no embedded schema {fileName}", fileName);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static JsonSchema Load(string fileName) => JsonSchema.Parse(ReadText(fileName));
}
