namespace Tunnel.Storage.Internal;

/// <summary>A WHERE clause built from optional conditions, with its parameters.</summary>
internal sealed class Filter
{
    private readonly List<string> _conditions = [];
    private readonly List<(string Name, Col Type, object? Value)> _parameters = [];

    public Filter Add(string condition, params (string Name, Col Type, object? Value)[] parameters)
    {
        _conditions.Add(condition);
        _parameters.AddRange(parameters);
        return this;
    }

    public Filter AddIf(bool when, string condition, params (string Name, Col Type, object? Value)[] parameters) =>
        when ? Add(condition, parameters) : this;

    public string Where => _conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", _conditions);

    public (string Name, Col Type, object? Value)[] Parameters(params (string Name, Col Type, object? Value)[] more) => [.. _parameters, .. more];
}
