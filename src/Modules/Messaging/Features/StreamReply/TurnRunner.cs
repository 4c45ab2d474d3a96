using System.Collections.Concurrent;
using System.Threading.Channels;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The one producer of every turn, on either pipeline: it runs each participant's <see cref="ParticipantRun"/>, merges
/// their events in arrival order into the turn, and ends the turn once every participant settled its row. It runs
/// detached from the request that started the turn, in a scope of its own; only the turn's token (a stop, a resumable
/// turn's lapsed grace, the leaving of a non-resumable turn's client, the shutdown) cancels it, and that cancels every
/// participant's upstream call at once. The pipelines differ only in how they wait: the streaming one awaits a bounded
/// channel; the legacy one gives each participant a thread of its own, blocking on a bounded BlockingCollection that one
/// more thread drains into the turn, as the old thread-per-stream service did.
internal sealed partial class TurnRunner(IServiceScopeFactory scopes, LiveTurns turns, ILogger<TurnRunner> logger)
{
    // Enough for a burst of chunks from every participant while the merge is busy; past it a participant waits.
    private const int MergeCapacity = 64;

    public void Start(LiveTurn turn, OpenedStream stream) => _ = Task.Run(() => RunAsync(turn, stream));

    /// <see cref="Start"/> for the legacy pipeline, on threads of its own.
    public void StartBlocking(LiveTurn turn, OpenedStream stream)
    {
        var merge = new Thread(() => RunBlocking(turn, stream)) { IsBackground = true, Name = "arena-legacy-turn" };
        merge.Start();
    }

    private async Task RunAsync(LiveTurn turn, OpenedStream stream)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var run = scope.ServiceProvider.GetRequiredService<ParticipantRun>();
            var channel = Channel.CreateBounded<StreamEvent>(new BoundedChannelOptions(MergeCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            var producers = new Task[stream.Participants.Count];
            for (var i = 0; i < producers.Length; i++)
            {
                producers[i] = ProduceAsync(run, stream.Participants[i], stream.Trace, channel.Writer, turn.Token);
            }

            _ = CompleteWhenDoneAsync(producers, channel.Writer);
            var events = channel.Reader;
            while (await events.WaitToReadAsync())
            {
                while (events.TryRead(out var streamEvent))
                {
                    turn.Append(streamEvent);
                }
            }

            await Task.WhenAll(producers);
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

    private static async Task ProduceAsync(ParticipantRun run, ParticipantPlan plan, StreamTrace trace, ChannelWriter<StreamEvent> writer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await run.RunAsync(plan, trace, new ChannelWaits(writer), cancellationToken);
    }

    private static async Task CompleteWhenDoneAsync(Task[] producers, ChannelWriter<StreamEvent> writer)
    {
        // A participant's failure is logged by the merge, which awaits them again.
        await Task.WhenAll(producers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        writer.TryComplete();
    }

    private void RunBlocking(LiveTurn turn, OpenedStream stream)
    {
        try
        {
            using var scope = scopes.CreateScope();
            var run = scope.ServiceProvider.GetRequiredService<ParticipantRun>();
            using var queue = new BlockingCollection<StreamEvent>(boundedCapacity: MergeCapacity);
            var remaining = stream.Participants.Count;
            var threads = new List<Thread>(stream.Participants.Count);
            foreach (var plan in stream.Participants)
            {
                var thread = new Thread(() =>
                {
                    try
                    {
                        run.RunAsync(plan, stream.Trace, new BlockingWaits(queue), turn.Token).GetAwaiter().GetResult();
                    }
                    catch (Exception exception)
                    {
                        LogFailed(logger, turn.SessionId, exception);
                    }
                    finally
                    {
                        if (Interlocked.Decrement(ref remaining) == 0)
                        {
                            queue.CompleteAdding();
                        }
                    }
                })
                {
                    IsBackground = true,
                    Name = $"arena-legacy-{WireNames.Of(plan.Participant)}",
                };
                threads.Add(thread);
                thread.Start();
            }

            foreach (var streamEvent in queue.GetConsumingEnumerable())
            {
                turn.Append(streamEvent);
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }
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
