using System.Buffers;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// Every response to a turn, whoever asked: the client that started it, a resume (forwarded or not) and a replay of a
/// turn rebuilt from its rows. It writes the turn from a position on, then live until the turn ends, then the protocol's
/// end, in one loop and by one rule. A position counts what the protocol sends (<see cref="StreamWireWriter.Sends"/>):
/// the event's id in <c>sse</c>, the lines in <c>data</c>; so a client resumes right after the last thing it received
/// and never sees an event twice. Legacy follows on its own thread with blocking waits (<see cref="BlockingOutput"/>).
internal sealed class TurnFollower(TimeProvider clock, IOptions<MessagingOptions> options)
{
    /// False when the client asked for a position the turn can no longer replay from memory (the buffer overflowed).
    /// <paramref name="stopsOnLeave"/>: the client started a turn that is not resumable, whose generation ends with its
    /// connection: its leaving stops the turn at once, and the call returns once the turn's rows are settled.
    public Task<bool> FollowAsync(HttpContext context, LiveTurn turn, StreamProtocol protocol, long after, CancellationToken cancellationToken, bool stopsOnLeave = false) =>
        FollowAsync(new AsyncOutput(context.Response.BodyWriter, turn, options.Value.KeepAliveInterval, clock, cancellationToken), turn, protocol, after, stopsOnLeave, cancellationToken);

    /// <see cref="FollowAsync(HttpContext, LiveTurn, StreamProtocol, long, CancellationToken, bool)"/> on the calling
    /// thread, which it blocks on every write and wait (the response must allow synchronous IO).
    public bool Follow(HttpContext context, LiveTurn turn, StreamProtocol protocol, CancellationToken cancellationToken, bool stopsOnLeave)
    {
        var following = FollowAsync(new BlockingOutput(context.Response.Body, turn, options.Value.KeepAliveInterval, clock), turn, protocol, 0, stopsOnLeave, cancellationToken);
        // Every wait of the blocking output is over when it returns, so the task is complete.
        return following.GetAwaiter().GetResult();
    }

    /// The position of an ended turn's final event in <paramref name="protocol"/>: the id of <c>done</c> in <c>sse</c>,
    /// the number of lines in <c>data</c> (which sends no end of its own). A client already there has the whole turn.
    public static long FinalPosition(LiveTurn turn, StreamProtocol protocol)
    {
        if (protocol == StreamProtocol.Sse)
        {
            return turn.DoneId;
        }

        var writer = StreamWireWriter.For(protocol);
        long lines = 0;
        for (var i = 0; i < turn.Count; i++)
        {
            if (writer.Sends(turn[i]))
            {
                lines++;
            }
        }

        return lines;
    }

    private async Task<bool> FollowAsync<TOutput>(TOutput output, LiveTurn turn, StreamProtocol protocol, long after, bool stopsOnLeave, CancellationToken cancellationToken)
        where TOutput : IFollowerOutput
    {
        var writer = StreamWireWriter.For(protocol);
        var body = output.Buffer;
        var keepAlive = options.Value.KeepAliveInterval;
        var idsArePositions = protocol == StreamProtocol.Sse;
        var lastSent = clock.GetTimestamp();
        turn.Attach();
        try
        {
            writer.WriteOpening(body);
            var index = 0;
            long position = 0;
            var started = false;
            while (true)
            {
                // Read the end before the count: once ended, every event is published.
                var ended = turn.IsEnded;
                var count = turn.Count;
                var wrote = false;
                for (; index < count; index++)
                {
                    var streamEvent = turn[index];
                    if (!writer.Sends(streamEvent))
                    {
                        continue;
                    }

                    position = idsArePositions ? turn.IdOf(index) : position + 1;
                    if (position > after)
                    {
                        writer.ContinueAfter(position - 1);
                        wrote |= writer.Write(streamEvent, body);
                    }
                }

                if (ended && index == count)
                {
                    if (turn.Overflowed && position < after)
                    {
                        return false;
                    }

                    var done = idsArePositions ? turn.DoneId : position + 1;
                    if (done > after)
                    {
                        writer.ContinueAfter(done - 1);
                        wrote |= writer.WriteEnd(body);
                    }

                    if (wrote || !started)
                    {
                        await output.FlushAsync(cancellationToken);
                    }

                    return true;
                }

                if (wrote || !started)
                {
                    started = true;
                    await output.FlushAsync(cancellationToken);
                    lastSent = clock.GetTimestamp();
                }

                await output.WaitBeyondAsync(turn, index, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                if (turn.Count == index && !turn.IsEnded && clock.GetElapsedTime(lastSent) >= keepAlive && writer.Write(StreamKeepAlive.Instance, body))
                {
                    await output.FlushAsync(cancellationToken);
                    lastSent = clock.GetTimestamp();
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException && cancellationToken.IsCancellationRequested || exception is IOException)
        {
            // The client went away (a blocking write may learn it before the request's token does); a resumable turn keeps
            // running for its grace period.
            if (stopsOnLeave)
            {
                turn.Stop();
                await output.WaitAsync(turn.Ended);
            }

            return true;
        }
        finally
        {
            turn.Detach();
            output.Dispose();
        }
    }

    /// The response as one follower writes it; how it waits is the pipeline's.
    private interface IFollowerOutput : IDisposable
    {
        IBufferWriter<byte> Buffer { get; }

        ValueTask FlushAsync(CancellationToken cancellationToken);

        /// Until the turn moved past <paramref name="position"/> or ended, or the next beat (so that the follower can keep
        /// an idle connection alive), or the client's leaving.
        ValueTask WaitBeyondAsync(LiveTurn turn, int position, CancellationToken cancellationToken);

        ValueTask WaitAsync(Task pending);
    }

    /// Waits on the turn alone, so an event costs no timer and no task of its own: a beat at half the keep-alive interval
    /// and the client's leaving wake the turn instead.
    private sealed class AsyncOutput : IFollowerOutput
    {
        private readonly System.IO.Pipelines.PipeWriter body;
        private readonly ITimer beat;
        private readonly CancellationTokenRegistration leaving;

        public AsyncOutput(System.IO.Pipelines.PipeWriter body, LiveTurn turn, TimeSpan keepAlive, TimeProvider clock, CancellationToken cancellationToken)
        {
            this.body = body;
            beat = clock.CreateTimer(static state => ((LiveTurn)state!).Wake(), turn, keepAlive / 2, keepAlive / 2);
            leaving = cancellationToken.UnsafeRegister(static state => ((LiveTurn)state!).Wake(), turn);
        }

        public IBufferWriter<byte> Buffer => body;

        public async ValueTask FlushAsync(CancellationToken cancellationToken) => await body.FlushAsync(cancellationToken);

        public ValueTask WaitBeyondAsync(LiveTurn turn, int position, CancellationToken cancellationToken) => new(turn.WaitBeyondAsync(position));

        public ValueTask WaitAsync(Task pending) => new(pending);

        public void Dispose()
        {
            beat.Dispose();
            leaving.Dispose();
        }
    }

    /// The old service's model: synchronous writes and flushes, and waits that block the follower's own thread. It beats
    /// as <see cref="AsyncOutput"/> does, so that both pipelines keep a connection alive on the same clock and schedule.
    private readonly struct BlockingOutput : IFollowerOutput
    {
        private readonly Stream body;
        private readonly ArrayBufferWriter<byte> buffer = new(4096);
        private readonly ITimer beat;

        public BlockingOutput(Stream body, LiveTurn turn, TimeSpan keepAlive, TimeProvider clock)
        {
            this.body = body;
            beat = clock.CreateTimer(static state => ((LiveTurn)state!).Wake(), turn, keepAlive / 2, keepAlive / 2);
        }

        public IBufferWriter<byte> Buffer => buffer;

        public ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            body.Write(buffer.WrittenSpan);
            body.Flush();
            buffer.ResetWrittenCount();
            return ValueTask.CompletedTask;
        }

        public ValueTask WaitBeyondAsync(LiveTurn turn, int position, CancellationToken cancellationToken)
        {
            turn.WaitBeyond(position, cancellationToken);
            return ValueTask.CompletedTask;
        }

        public ValueTask WaitAsync(Task pending)
        {
            pending.GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }

        public void Dispose() => beat.Dispose();
    }
}
