namespace Tunnel.Central.Matching;

/// <summary>
/// Spare lists for one thread, handed out empty and taken back cleared. A list is lent to one caller
/// at a time: one taken again before it was given back (a weighing that starts another walk) gets a
/// new list, so lending can never mix two walks.
/// </summary>
public sealed class ListPool<T>
{
    private readonly Stack<List<T>> _spare = new();
    private readonly int _keep;

    /// <param name="keep">At most this many spare lists are kept: more would only hold memory.</param>
    public ListPool(int keep = 4) => _keep = keep;

    public List<T> Take() => _spare.TryPop(out var list) ? list : [];

    public void Give(List<T> list)
    {
        list.Clear();
        if (_spare.Count < _keep) _spare.Push(list);
    }
}
