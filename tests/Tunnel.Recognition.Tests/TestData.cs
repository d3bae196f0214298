namespace Tunnel.Recognition.Tests;

/// <summary>
/// The real photographs live in ../shared/data beside the repository (never copied into it).
/// A missing folder fails the test with a message saying where it was looked for.
/// </summary>
internal static class TestData
{
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("TUNNEL_DATA") is { Length: > 0 } env) return Require(env);
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (System.IO.File.Exists(Path.Combine(d.FullName, "Tunnel.sln")))
                    return Require(Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data")));
            }
            throw new DirectoryNotFoundException($"cannot find the repository root (Tunnel.sln) above {AppContext.BaseDirectory}; set TUNNEL_DATA to the shared data folder");
        }
    }

    public static string Folder(string name) => Require(Path.Combine(Root, name));

    public static string File(string folder, string name)
    {
        var path = Path.Combine(Folder(folder), name);
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"test data file missing: {path}");
        return path;
    }

    private static string Require(string dir)
    {
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"test data folder missing: {dir}. The recognition tests read the real photographs in shared/data beside the repository (set TUNNEL_DATA to point elsewhere).");
        return dir;
    }
}
