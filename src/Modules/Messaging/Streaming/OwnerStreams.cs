using System.Collections.Concurrent;

namespace Arena.Modules.Messaging.Streaming;

/// The streams each user has admitted in this process, for deployments whose limits are not counted over the stored rows
/// (<see cref="Arena.BuildingBlocks.Limits.UserLimitOptions.AcrossInstances"/> off). A slot is taken only by a turn whose
/// session admitted it, so a request that its session refuses never holds one; the turn gives it back when it ends.
internal sealed class OwnerStreams
{
    private readonly ConcurrentDictionary<string, int> open = new(StringComparer.Ordinal);

    public OwnerSlot? TryEnter(string ownerId, int limit)
    {
        while (true)
        {
            var current = open.GetOrAdd(ownerId, 0);
            if (current >= limit)
            {
                return null;
            }

            if (open.TryUpdate(ownerId, current + 1, current))
            {
                return new OwnerSlot(this, ownerId);
            }
        }
    }

    private void Leave(string ownerId)
    {
        while (true)
        {
            var current = open[ownerId];
            if (current == 1 ? open.TryRemove(new KeyValuePair<string, int>(ownerId, 1)) : open.TryUpdate(ownerId, current - 1, current))
            {
                return;
            }
        }
    }

    /// Given back once, however many times it is released.
    internal sealed class OwnerSlot(OwnerStreams streams, string ownerId)
    {
        private int released;

        public void Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                streams.Leave(ownerId);
            }
        }
    }
}
