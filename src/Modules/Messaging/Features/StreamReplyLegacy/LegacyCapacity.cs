using System.Threading.RateLimiting;
using Arena.Modules.Messaging.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReplyLegacy;

/// The legacy pipeline's worker pool: a fixed number of streams at once, each on threads of its own, of which one user
/// holds at most a fair share so that a single user cannot leave everybody else a 503.
internal sealed class LegacyCapacity : IDisposable
{
    private readonly ConcurrencyLimiter slots;
    private readonly PartitionedRateLimiter<string> perUser;

    public LegacyCapacity(IOptions<MessagingOptions> options)
    {
        var settings = options.Value;
        slots = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = settings.LegacyMaxConcurrentStreams, QueueLimit = 0 });
        var share = Math.Max(1, settings.LegacyMaxConcurrentStreams * settings.LegacyUserSharePercent / 100);
        perUser = PartitionedRateLimiter.Create<string, string>(user =>
            RateLimitPartition.GetConcurrencyLimiter(user, _ => new ConcurrencyLimiterOptions { PermitLimit = share, QueueLimit = 0 }));
    }

    /// A slot for the request's user, held until <see cref="Leave"/>; false when the pool or the user's share is full.
    public bool TryEnter(HttpContext context)
    {
        var user = context.User.FindFirst("sub")?.Value ?? "";
        var userLease = perUser.AttemptAcquire(user);
        if (!userLease.IsAcquired)
        {
            userLease.Dispose();
            return false;
        }

        var slot = slots.AttemptAcquire();
        if (!slot.IsAcquired)
        {
            slot.Dispose();
            userLease.Dispose();
            return false;
        }

        context.Features.Set(new Held(slot, userLease));
        return true;
    }

    public void Leave(HttpContext context)
    {
        if (context.Features.Get<Held>() is { } held)
        {
            context.Features.Set<Held>(null);
            held.Slot.Dispose();
            held.UserLease.Dispose();
        }
    }

    public void Dispose()
    {
        slots.Dispose();
        perUser.Dispose();
    }

    private sealed record Held(RateLimitLease Slot, RateLimitLease UserLease);
}
