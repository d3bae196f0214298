namespace Tunnel.Mqtt;

/// <summary>Finds Debian's mosquitto programs, or says which package to install.</summary>
internal static class MosquittoInstallation
{
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];

    public static string Broker => Find("mosquitto", "mosquitto");

    public static string PasswordTool => Find("mosquitto_passwd", "mosquitto");

    internal static string Find(string program, string package, IEnumerable<string>? searchPath = null)
    {
        var directories = searchPath ?? (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(ExtraDirectories);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"The program '{program}' was not found in PATH or /usr/sbin. Install it with: apt-get install {package}", program);
    }
}
