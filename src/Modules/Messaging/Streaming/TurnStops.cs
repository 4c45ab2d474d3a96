using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Arena.Modules.Messaging.Streaming;

/// Stops a session's streaming turn from any instance. The instance that holds the turn cancels it directly; any other
/// asks through PostgreSQL's LISTEN/NOTIFY: it notifies <c>arena_turn_stop</c> with the session id, every instance
/// listens, the one generating the turn cancels it and, once its rows are settled, notifies <c>arena_turn_stopped</c>.
/// The asking instance waits for that, and checks the rows themselves between notifications, so a lost notification
/// costs at most a short delay, never a wrong answer.
internal sealed partial class TurnStops(LiveTurns turns, MessageRows rows, [FromKeyedServices(MessagingDbContext.Schema)] NpgsqlDataSource database, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<TurnStops> logger) : BackgroundService
{
    public const string StopChannel = "arena_turn_stop";

    public const string StoppedChannel = "arena_turn_stopped";

    // Between checks of the rows while waiting for another instance, in case a notification was lost.
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> waiting = new();

    internal enum Outcome
    {
        NothingStreaming,
        Stopped,
        NotSettled,
    }

    /// Cancels the session's streaming turn and returns once its rows are settled (or the final-write window passed).
    public async Task<Outcome> StopAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var patience = settings.FinalWriteTimeout + settings.StreamHostLease;
        if (turns.Find(sessionId) is { IsEnded: false } turn)
        {
            turn.Stop();
            await turn.Ended.WaitAsync(patience, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            return turn.IsEnded ? Outcome.Stopped : Outcome.NotSettled;
        }

        if (!await rows.AnyStreamingAsync(sessionId, cancellationToken))
        {
            return Outcome.NothingStreaming;
        }

        var started = clock.GetTimestamp();
        while (clock.GetElapsedTime(started) < patience)
        {
            // Asked again at every check: a turn whose rows were stored a moment ago may not have been held by its
            // instance yet when the last request arrived there, and this one may be that instance.
            if (turns.Find(sessionId) is { IsEnded: false } local)
            {
                local.Stop();
                await local.Ended.WaitAsync(patience - clock.GetElapsedTime(started), clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
                return local.IsEnded ? Outcome.Stopped : Outcome.NotSettled;
            }

            await rows.NotifyAsync(StopChannel, sessionId.ToString(), cancellationToken);

            var settled = waiting.GetOrAdd(sessionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await settled.Task.WaitAsync(RecheckInterval, clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            if (!await rows.AnyStreamingAsync(sessionId, cancellationToken))
            {
                return Outcome.Stopped;
            }
        }

        return Outcome.NotSettled;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {StopChannel}; LISTEN {StoppedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Stops asked meanwhile of this instance are lost; their callers still see the rows and answer in time.
                LogListenFailed(logger, exception);
                await Task.Delay(options.Value.StreamHostHeartbeat, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs notification)
    {
        if (!Guid.TryParse(notification.Payload, out var sessionId))
        {
            return;
        }

        if (notification.Channel == StopChannel && turns.Find(sessionId) is { IsEnded: false } turn)
        {
            turn.Stop();
            _ = AnnounceSettledAsync(turn);
        }
        else if (notification.Channel == StoppedChannel && waiting.TryRemove(sessionId, out var settled))
        {
            settled.TrySetResult();
        }
    }

    private async Task AnnounceSettledAsync(LiveTurn turn)
    {
        try
        {
            await turn.Ended;
            await rows.NotifyAsync(StoppedChannel, turn.SessionId.ToString(), CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogListenFailed(logger, exception);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Listening for stop requests failed; listening again after a heartbeat")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
