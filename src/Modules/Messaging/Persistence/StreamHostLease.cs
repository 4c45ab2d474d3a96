using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Persistence;

/// This process's lease on the replies it streams. Every heartbeat it renews its own row in <c>stream_hosts</c> and
/// interrupts the <c>streaming</c> replies of hosts whose lease lapsed (a crashed or partitioned instance), keeping their
/// last flushed content. So a reply a dead process left behind is released within a lease, with or without a restart,
/// and one instance starting up never takes over the live streams of another. The heartbeat also retries the final
/// writes the database refused, so those rows end right once it is back, while this host's lease keeps them its own.
internal sealed partial class StreamHostLease(
    IDbContextFactory<MessagingDbContext> contexts,
    TimeProvider clock,
    IOptions<MessagingOptions> options,
    ILogger<StreamHostLease> logger) : BackgroundService
{
    private readonly ConcurrentQueue<FinalWrite> unsettled = new();

    public Guid Id { get; } = Guid.CreateVersion7();

    public void RetryLater(FinalWrite end) => unsettled.Enqueue(end);

    public async Task RenewAndSweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var cutoff = now - options.Value.StreamHostLease;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO messaging.stream_hosts (id, started_at, heartbeat_at) VALUES ({Id}, {now}, {now}) ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            cancellationToken);

        var interrupted = await db.Messages
            .Where(m => m.Status == MessageStatus.Streaming && !db.StreamHosts.Any(h => h.Id == m.StreamHostId && h.HeartbeatAt > cutoff))
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MessageStatus.Interrupted).SetProperty(m => m.UpdatedAt, now), cancellationToken);
        if (interrupted > 0)
        {
            LogInterrupted(logger, interrupted);
        }

        await db.StreamHosts.Where(h => h.HeartbeatAt <= cutoff).ExecuteDeleteAsync(cancellationToken);
        await RetryUnsettledAsync(db, cancellationToken);
    }

    private async Task RetryUnsettledAsync(MessagingDbContext db, CancellationToken cancellationToken)
    {
        for (var pending = unsettled.Count; pending > 0 && unsettled.TryDequeue(out var end); pending--)
        {
            try
            {
                await db.Messages.Where(m => m.Id == end.MessageId).ApplyAsync(end, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                unsettled.Enqueue(end);
                LogRetryFailed(logger, end.MessageId, exception);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var heartbeat = new PeriodicTimer(options.Value.StreamHostHeartbeat, clock);
        while (await heartbeat.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RenewAndSweepAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The next heartbeat tries again; the lease is several heartbeats long for exactly this.
                LogHeartbeatFailed(logger, exception);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // Leaving at once lets the other instances recover what this one could not finish without waiting out the lease.
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.StreamHosts.Where(h => h.Id == Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogHeartbeatFailed(logger, exception);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Marked {Count} replies whose stream host stopped as interrupted")]
    private static partial void LogInterrupted(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "The end of message {MessageId} still could not be saved; trying again at the next heartbeat")]
    private static partial void LogRetryFailed(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(LogLevel.Error, "Could not renew this host's stream lease")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
