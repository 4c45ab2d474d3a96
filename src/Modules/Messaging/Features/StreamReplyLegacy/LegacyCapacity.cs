using Arena.Modules.Messaging.Domain;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReplyLegacy;

/// The legacy pipeline's worker pool: a fixed number of streams at once, each on threads of its own.
internal sealed class LegacyCapacity(IOptions<MessagingOptions> options) : IDisposable
{
    private readonly SemaphoreSlim slots = new(options.Value.LegacyMaxConcurrentStreams);

    public bool TryEnter() => slots.Wait(0);

    public void Leave() => slots.Release();

    public void Dispose() => slots.Dispose();
}
