using System.Collections.Concurrent;
using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Arena.Modules.Sessions.Features;

/// Takes the session's round trip off every turn after the first. What a turn needs of its session (owner, mode, models)
/// never changes once a session is direct, compare or a revealed battle, so a session found once is remembered; its
/// activity time only orders the session list, so it is queued and written for every session in one round trip per
/// interval, committed without waiting for the WAL flush. That write is also the check that the session still exists: a
/// session deleted through another instance is forgotten at the next write, and <see cref="SessionDeleted"/> is published
/// here too, so a turn that started from the remembered session in between is stopped and its rows removed, as the
/// deleting instance does for its own turns; it is published once more an interval later, for a turn that recalled the
/// session just before it was forgotten and inserted its rows just after. A list or a read of the owner's sessions first
/// writes that owner's queue, so an owner sees their own activity at once on this instance; other instances see it within
/// the interval.
internal sealed partial class SessionActivity(IServiceScopeFactory scopes, [FromKeyedServices(SessionsDbContext.Schema)] NpgsqlDataSource database, TimeProvider clock, ILogger<SessionActivity> logger) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    // Neither this cache nor the semaphore below is disposed with the service: a host may stop the service again after
    // disposing it, and that last write still needs both.
    // 100,000 remembered sessions are a few tens of MB; past the limit the cache drops some, and their next turn looks them up again.
    private readonly MemoryCache known = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private readonly ConcurrentDictionary<Guid, (string OwnerId, DateTimeOffset At)> queued = new();
    private readonly SemaphoreSlim writing = new(1, 1);
    private ConcurrentQueue<Guid> goneLastInterval = new();
    private bool failing;

    public bool TryRecall(Guid sessionId, string ownerId, out SessionInfo session)
    {
        if (known.TryGetValue(sessionId, out Known? entry) && entry!.OwnerId == ownerId)
        {
            session = entry.Session;
            return true;
        }

        session = null!;
        return false;
    }

    /// An unrevealed battle is not remembered: its reveal changes what a turn shows.
    public void Remember(SessionInfo session, string ownerId)
    {
        if (session is { Battle: true, RevealedAt: null })
        {
            return;
        }

        known.Set(session.Id, new Known(ownerId, session), new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) });
    }

    public void Queue(Guid sessionId, string ownerId, DateTimeOffset at) =>
        queued.AddOrUpdate(sessionId, static (_, entry) => entry, static (_, old, entry) => old.At >= entry.At ? old : entry, (OwnerId: ownerId, At: at));

    public void Forget(Guid sessionId)
    {
        known.Remove(sessionId);
        queued.TryRemove(sessionId, out _);
    }

    /// Writes the queue, or only the owner's part of it; waits for a write already under way, which may hold the owner's.
    public async Task WriteAsync(string? ownerId, CancellationToken cancellationToken)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            if (queued.IsEmpty)
            {
                return;
            }

            var due = new List<(Guid SessionId, string OwnerId, DateTimeOffset At)>();
            foreach (var (sessionId, entry) in queued)
            {
                if ((ownerId is null || entry.OwnerId == ownerId) && queued.TryRemove(sessionId, out var taken))
                {
                    due.Add((sessionId, taken.OwnerId, taken.At));
                }
            }

            if (due.Count > 0)
            {
                await WriteAsync(due, cancellationToken);
            }
        }
        finally
        {
            writing.Release();
        }
    }

    private async Task WriteAsync(List<(Guid SessionId, string OwnerId, DateTimeOffset At)> due, CancellationToken cancellationToken)
    {
        List<Guid>? gone = null;
        try
        {
            await using var batch = database.CreateBatch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand(RecordSessionActivityHandler.WithoutFlushWaitSql));
            // One keyed statement per session: a join against an array may be planned as a scan of the whole table.
            foreach (var (sessionId, _, at) in due)
            {
                var update = new NpgsqlBatchCommand(MoveSql);
                update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = sessionId });
                update.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
                batch.BatchCommands.Add(update);
            }

            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                foreach (var (sessionId, _, _) in due)
                {
                    await reader.NextResultAsync(cancellationToken);
                    if (!await reader.ReadAsync(cancellationToken))
                    {
                        (gone ??= []).Add(sessionId);
                    }
                }
            }

            if (failing)
            {
                failing = false;
                LogRecovered(logger);
            }
        }
        catch (Exception exception)
        {
            // Kept for the next write, also when a list request that wrote them went away.
            foreach (var (sessionId, ownerId, at) in due)
            {
                Queue(sessionId, ownerId, at);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            if (!failing)
            {
                failing = true;
                LogFailed(logger, due.Count, exception.Message);
            }

            return;
        }

        if (gone is not null)
        {
            foreach (var sessionId in gone)
            {
                Forget(sessionId);
                goneLastInterval.Enqueue(sessionId);
            }

            await PublishDeletedAsync(gone, cancellationToken);
        }
    }

    private async Task PublishDeletedAsync(IEnumerable<Guid> sessions, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var publisher = scope.ServiceProvider.GetRequiredService<IPublisher>();
            foreach (var sessionId in sessions)
            {
                await publisher.Publish(new SessionDeleted(sessionId), cancellationToken);
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogCleanupFailed(logger, exception.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(FlushInterval, clock);
        while (await tick.WaitForNextTickAsync(stoppingToken))
        {
            var again = Interlocked.Exchange(ref goneLastInterval, new());
            await WriteAsync(ownerId: null, stoppingToken);
            if (!again.IsEmpty)
            {
                await PublishDeletedAsync(again, stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await WriteAsync(ownerId: null, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's stop timeout passed: what is queued only ordered the session list.
        }
    }

    // Only forward: instances whose clocks differ slightly must not move a session back in the list.
    private const string MoveSql = "UPDATE sessions.sessions SET updated_at = greatest(updated_at, $2) WHERE id = $1 RETURNING 1";

    // The reason without a stack trace: a database that refuses for a while is an outage, not a bug.
    [LoggerMessage(LogLevel.Warning, "Could not record the activity of {Count} sessions (retrying next interval; only the session list's order waits): {Reason}")]
    private static partial void LogFailed(ILogger logger, int count, string reason);

    [LoggerMessage(LogLevel.Warning, "Could not remove what other modules keep for a session deleted through another instance: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Session activity is recorded again")]
    private static partial void LogRecovered(ILogger logger);

    private sealed record Known(string OwnerId, SessionInfo Session);
}
