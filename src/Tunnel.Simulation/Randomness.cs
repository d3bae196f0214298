namespace Tunnel.Simulation;

/// <summary>
/// A seeded random stream. Each concern (demand, noise, delivery...) draws from its own stream, so that
/// changing how one of them uses randomness does not reshuffle the others for the same seed.
/// </summary>
internal sealed class Rng
{
    private readonly Random _random;

    public Rng(int seed, string stream) => _random = new Random(Mix(seed, stream));

    public double U() => _random.NextDouble();
    public double U(double min, double max) => min + (max - min) * _random.NextDouble();
    public int Next(int count) => _random.Next(count);
    public bool Chance(double p) => _random.NextDouble() < p;
    public double Exponential(double mean) => -mean * Math.Log(1 - _random.NextDouble());
    public double LogUniform(double min, double max) => Math.Exp(U(Math.Log(min), Math.Log(max)));

    public double Normal(double mean, double sd)
    {
        var u1 = 1 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return mean + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public double ClippedNormal(double mean, double sd, double min, double max) => Math.Clamp(Normal(mean, sd), min, max);

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    public T Weighted<T>(IReadOnlyList<(T Item, double Weight)> items)
    {
        var total = 0.0;
        foreach (var (_, w) in items) total += w;
        var x = U() * total;
        foreach (var (item, w) in items)
        {
            if (x < w) return item;
            x -= w;
        }
        return items[^1].Item;
    }

    /// <summary>A version-4 GUID from this stream: event ids must be unique yet the same for the same seed.</summary>
    public Guid Guid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    // string.GetHashCode is randomised per process; a fixed FNV + SplitMix keeps runs reproducible.
    private static int Mix(int seed, string stream)
    {
        var h = 14695981039346656037UL;
        foreach (var c in stream) h = (h ^ c) * 1099511628211UL;
        var z = h ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
