using System.Reflection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Tunnel.WebConsole.Security;

/// <summary>
/// Serves the files built into this assembly from wwwroot/ (resource names are the paths, see the
/// project file), so the console needs no files beside the program.
/// </summary>
internal sealed class EmbeddedAssets : IFileProvider
{
    private const string Prefix = "wwwroot/";
    private readonly Assembly _assembly = typeof(EmbeddedAssets).Assembly;
    private readonly HashSet<string> _names;
    private readonly DateTimeOffset _built;

    public EmbeddedAssets()
    {
        _names = _assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        _built = File.GetLastWriteTimeUtc(_assembly.Location);
    }

    public bool Exists(string path) => _names.Contains(Prefix + path.TrimStart('/'));

    public IFileInfo GetFileInfo(string subpath)
    {
        var name = Prefix + subpath.TrimStart('/');
        return _names.Contains(name) ? new Asset(_assembly, name, _built) : new NotFoundFileInfo(subpath);
    }

    public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    private sealed class Asset(Assembly assembly, string name, DateTimeOffset built) : IFileInfo
    {
        public bool Exists => true;
        public long Length { get; } = Measure(assembly, name);
        public string? PhysicalPath => null;
        public string Name => Path.GetFileName(name);
        public DateTimeOffset LastModified => built;
        public bool IsDirectory => false;
        public Stream CreateReadStream() => assembly.GetManifestResourceStream(name) ?? throw new FileNotFoundException(name);

        private static long Measure(Assembly assembly, string name)
        {
            using var s = assembly.GetManifestResourceStream(name);
            return s?.Length ?? 0;
        }
    }
}
