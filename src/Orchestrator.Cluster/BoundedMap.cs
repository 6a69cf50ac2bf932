namespace Orchestrator.Cluster;

/// <summary>
/// A map that keeps its newest <see cref="Capacity"/> keys: adding one more forgets the oldest. For what an actor
/// remembers only to answer a retry or link a span, never for what correctness needs.
/// </summary>
internal sealed class BoundedMap<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly OrderedDictionary<TKey, TValue> _items = [];

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    public int Count => _items.Count;

    public bool TryGetValue(TKey key, out TValue value) => _items.TryGetValue(key, out value!);

    public TValue? GetValueOrDefault(TKey key) => _items.TryGetValue(key, out var value) ? value : default;

    /// <summary>Sets the value of <paramref name="key"/>; a new key keeps its place as the newest, an existing one its own.</summary>
    public void Set(TKey key, TValue value)
    {
        if (_items.TryAdd(key, value))
        {
            while (_items.Count > Capacity)
            {
                _items.RemoveAt(0);
            }
        }
        else
        {
            _items[key] = value;
        }
    }

    public bool Remove(TKey key) => _items.Remove(key);
}
