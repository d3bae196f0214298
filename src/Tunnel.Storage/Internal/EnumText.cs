using Tunnel.Core.Contracts;

namespace Tunnel.Storage.Internal;

/// <summary>Enums are stored by their JSON (kebab-case) names so the columns read like the messages.</summary>
internal static class EnumText<T> where T : struct, Enum
{
    private static readonly Dictionary<string, T> ByName = Enum.GetValues<T>().ToDictionary(v => TunnelJson.Name(v));

    public static string? Name(T? value) => value is T v ? TunnelJson.Name(v) : null;

    public static T Parse(string name) =>
        ByName.TryGetValue(name, out var value) ? value : throw new InvalidDataException($"unknown {typeof(T).Name} '{name}' in store");

    public static T? ParseOrNull(string? name) => name is null ? null : Parse(name);
}
