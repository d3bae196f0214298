using System.Security.Cryptography;
using System.Text.Json;

namespace Tunnel.Recognition.Models;

/// <summary>A model file is missing or is not the file the manifest names. The message says how to restore it.</summary>
public sealed class ModelFileException(string message) : Exception(message);

/// <summary>
/// Finds the restored third-party model files and checks them against models/manifest.json
/// (size and sha256), so a truncated or swapped file fails at load with one clear message
/// instead of as a protobuf error or, worse, as quietly wrong plates.
/// </summary>
public sealed class ModelStore
{
    public const string RestoreHint = "Restore it with `bash models/restore.sh` from the repository root (`dotnet build` also runs it when a file is missing).";

    private readonly Dictionary<string, ManifestFile> _byRole;

    private ModelStore(string directory, Dictionary<string, ManifestFile> byRole)
    {
        Directory = directory;
        _byRole = byRole;
    }

    /// <summary>The folder holding manifest.json and the restored files.</summary>
    public string Directory { get; }

    /// <summary>One file of the manifest. A derived file has no version: its package says what made it from what.</summary>
    /// <param name="Origin">Where it comes from, for messages: "package@version", or the script that makes it.</param>
    public sealed record ManifestFile(string Origin, string Licence, string Role, string RelativePath, long Bytes, string Sha256);

    public IReadOnlyCollection<ManifestFile> Files => _byRole.Values;

    /// <summary>
    /// Opens the model folder: <paramref name="directory"/> if given, else $TUNNEL_MODELS, else
    /// models/ next to the running assembly (the build copies it there), else the repository's models/ above it.
    /// </summary>
    public static ModelStore Open(string? directory = null)
    {
        var dir = directory ?? Locate();
        var manifest = Path.Combine(dir, "manifest.json");
        if (!File.Exists(manifest)) throw new ModelFileException($"model manifest not found: {manifest}. {RestoreHint}");
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        var byRole = new Dictionary<string, ManifestFile>();
        foreach (var p in doc.RootElement.GetProperty("packages").EnumerateArray())
        {
            var name = p.GetProperty("name").GetString()!;
            var version = p.GetProperty("version").GetString()!;
            var licence = p.GetProperty("licence").GetString()!;
            foreach (var f in p.GetProperty("files").EnumerateArray())
            {
                var role = f.GetProperty("role").GetString()!;
                byRole[role] = new ManifestFile($"{name}@{version}", licence, role, f.GetProperty("to").GetString()!,
                    f.GetProperty("bytes").GetInt64(), f.GetProperty("sha256").GetString()!);
            }
        }
        // The project's own files, computed from a restored one by a script in models/derive (see restore.sh).
        if (doc.RootElement.TryGetProperty("derived", out var derived))
        {
            foreach (var f in derived.EnumerateArray())
            {
                var role = f.GetProperty("role").GetString()!;
                var madeBy = $"made by models/{f.GetProperty("script").GetString()} from {f.GetProperty("from").GetString()}";
                byRole[role] = new ManifestFile(madeBy, f.GetProperty("licence").GetString()!, role, f.GetProperty("to").GetString()!,
                    f.GetProperty("bytes").GetInt64(), f.GetProperty("sha256").GetString()!);
            }
        }
        return new ModelStore(dir, byRole);
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("TUNNEL_MODELS") is { Length: > 0 } env) return env;
        var beside = Path.Combine(AppContext.BaseDirectory, "models");
        if (File.Exists(Path.Combine(beside, "manifest.json"))) return beside;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "models");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
        }
        return beside;
    }

    /// <summary>
    /// The verified path of the file with this role ("text-detector", "text-recogniser", "dictionary";
    /// "text-recogniser-source" is the registry's recogniser that "text-recogniser" is derived from).
    /// Files outside the model folder (the ORT library) are not looked up here.
    /// </summary>
    public string PathOf(string role)
    {
        if (!_byRole.TryGetValue(role, out var file)) throw new ModelFileException($"models/manifest.json names no file for '{role}'");
        var path = Path.Combine(Directory, file.RelativePath);
        var what = $"{file.Role} file {path} ({file.Origin})";
        if (!File.Exists(path)) throw new ModelFileException($"{what} is missing. {RestoreHint}");
        var length = new FileInfo(path).Length;
        if (length != file.Bytes) throw new ModelFileException($"{what} is corrupt: {length} bytes, the manifest says {file.Bytes}. {RestoreHint}");
        string sha;
        using (var s = File.OpenRead(path)) sha = Convert.ToHexStringLower(SHA256.HashData(s));
        if (sha != file.Sha256) throw new ModelFileException($"{what} is corrupt: sha256 {sha}, the manifest says {file.Sha256}. {RestoreHint}");
        return path;
    }
}
