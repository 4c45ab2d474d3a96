using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The one producer of every turn, on either pipeline: it runs each participant's <see cref="ParticipantRun"/>, whose
/// events go into the turn in arrival order, and ends the turn once every participant settled its row. It runs detached
/// from the request that started the turn, in a scope of its own; only the turn's token (a stop, a resumable turn's
/// lapsed grace, the leaving of a non-resumable turn's client, the shutdown) cancels it, and that cancels every
/// participant's upstream call at once. The pipelines differ only in how they wait: the streaming one awaits; the legacy
/// one gives each participant a thread of its own that blocks on every wait, as the old thread-per-stream service did.
internal sealed partial class TurnRunner(IServiceScopeFactory scopes, LiveTurns turns, ILogger<TurnRunner> logger)
{
    public void Start(LiveTurn turn, OpenedStream stream) => _ = Task.Run(() => RunAsync(turn, stream));

    /// <see cref="Start"/> for the legacy pipeline, on threads of its own; the last participant to end ends the turn.
    public void StartBlocking(LiveTurn turn, OpenedStream stream)
    {
        var scope = scopes.CreateScope();
        var run = scope.ServiceProvider.GetRequiredService<ParticipantRun>();
        var remaining = stream.Participants.Count;
        foreach (var plan in stream.Participants)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    run.RunAsync(plan, stream.Trace, new BlockingWaits(turn), turn.Token).GetAwaiter().GetResult();
                }
                catch (Exception exception)
                {
                    LogFailed(logger, turn.SessionId, exception);
                }
                finally
                {
                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        scope.Dispose();
                        End(turn, stream);
                    }
                }
            })
            {
                IsBackground = true,
                Name = $"arena-legacy-{WireNames.Of(plan.Participant)}",
            };
            thread.Start();
        }
    }

    private async Task RunAsync(LiveTurn turn, OpenedStream stream)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var run = scope.ServiceProvider.GetRequiredService<ParticipantRun>();
            var participants = new Task[stream.Participants.Count];
            for (var i = 0; i < participants.Length; i++)
            {
                participants[i] = RunAsync(run, stream.Participants[i], stream.Trace, turn);
            }

            await Task.WhenAll(participants);
        }
        catch (Exception exception)
        {
            LogFailed(logger, turn.SessionId, exception);
        }
        finally
        {
            End(turn, stream);
        }
    }

    private static async Task RunAsync(ParticipantRun run, ParticipantPlan plan, StreamTrace trace, LiveTurn turn)
    {
        // Each on its own from its first step: a participant that starts slowly never holds up the others.
        await Task.Yield();
        await run.RunAsync(plan, trace, new AsyncWaits(turn), turn.Token);
    }

    private void End(LiveTurn turn, OpenedStream stream)
    {
        if (stream.Resumable && turn.Token.IsCancellationRequested)
        {
            LogStopped(logger, turn.SessionId);
        }

        turns.Complete(turn);
    }

    [LoggerMessage(LogLevel.Information, "The resumable turn of session {SessionId} was stopped")]
    private static partial void LogStopped(ILogger logger, Guid sessionId);

    [LoggerMessage(LogLevel.Error, "The turn of session {SessionId} failed")]
    private static partial void LogFailed(ILogger logger, Guid sessionId, Exception exception);
}
