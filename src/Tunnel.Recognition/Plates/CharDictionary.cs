namespace Tunnel.Recognition.Plates;

/// <summary>
/// PaddleOCR's ppocr_keys_v1.txt: class 0 is the CTC blank, entry i of the file is class i+1, and one
/// more class after the last entry is a space.
/// </summary>
public sealed class CharDictionary
{
    private readonly string[] _classes;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public CharDictionary(string path)
    {
        var entries = File.ReadAllText(path).Split('\n');
        if (entries.Length > 0 && entries[^1].Length == 0) entries = entries[..^1];
        _classes = new string[entries.Length + 2];
        _classes[0] = "";
        for (var i = 0; i < entries.Length; i++) _classes[i + 1] = entries[i].TrimEnd('\r');
        _classes[^1] = " ";
        for (var i = _classes.Length - 1; i >= 1; i--) _index[_classes[i]] = i;
    }

    public int ClassCount => _classes.Length;

    public string this[int cls] => _classes[cls];

    public int IndexOf(char c) => _index.TryGetValue(c.ToString(), out var i) ? i : -1;

    public int IndexOf(string s) => _index.TryGetValue(s, out var i) ? i : -1;
}
