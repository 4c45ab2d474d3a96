using System.Buffers;
using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Arena.Modules.Providers.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.StreamReplyLegacy;

/// The old service's concurrency model, kept as a baseline: one dedicated thread per participant reads its provider
/// stream with blocking calls into a bounded BlockingCollection; the request thread drains it and writes each event
/// synchronously, then joins the threads. Gate, participant run and wire writers are the streaming pipeline's.
internal sealed class LegacyPump(ParticipantRun run, IOptions<MessagingOptions> options)
{
    /// Every event also goes to <paramref name="turn"/>, for resumes; its token stops the pump like a disconnect.
    public void Run(HttpContext context, OpenedStream stream, LiveTurn turn)
    {
        var settings = options.Value;
        using var queue = new BlockingCollection<StreamEvent>(boundedCapacity: 64);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, turn.Token);
        var remaining = stream.Participants.Count;
        var threads = new List<Thread>(stream.Participants.Count);
        foreach (var plan in stream.Participants)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    run.RunAsync(plan, stream.Trace, new BlockingWaits(queue), stop.Token).GetAwaiter().GetResult();
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

        var writer = StreamWireWriter.For(stream.Protocol);
        var buffer = new ArrayBufferWriter<byte>(4096);
        var body = context.Response.Body;
        var headersSent = false;
        var keepAlive = (int)settings.KeepAliveInterval.TotalMilliseconds;
        var ended = false;
        try
        {
            while (true)
            {
                if (!queue.TryTake(out var streamEvent, keepAlive, stop.Token))
                {
                    if (queue.IsCompleted)
                    {
                        break;
                    }

                    streamEvent = StreamKeepAlive.Instance;
                }

                turn.Append(streamEvent);
                if (writer.Write(streamEvent, buffer) || !headersSent)
                {
                    headersSent = true;
                    Send(body, buffer);
                }
            }

            ended = true;
            if (writer.WriteEnd(buffer))
            {
                Send(body, buffer);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && (context.RequestAborted.IsCancellationRequested || turn.Token.IsCancellationRequested))
        {
            // The client went away or the turn was stopped; the threads save their partial replies as cancelled.
        }
        finally
        {
            stop.Cancel();
            foreach (var thread in threads)
            {
                thread.Join();
            }
        }

        if (!ended && turn.Token.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            WriteClosing(body, writer, buffer, turn);
        }
    }

    /// A stopped or shut-down turn still ends properly for a client that is still there, as on the streaming pipeline:
    /// each unfinished participant's error, then the protocol's end.
    private static void WriteClosing(Stream body, StreamWireWriter writer, ArrayBufferWriter<byte> buffer, LiveTurn turn)
    {
        buffer.ResetWrittenCount();
        var closing = turn.Close();
        for (var i = turn.Count - closing; i < turn.Count; i++)
        {
            writer.Write(turn[i], buffer);
        }

        writer.WriteEnd(buffer);
        try
        {
            Send(body, buffer);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client went away meanwhile.
        }
    }

    private static void Send(Stream body, ArrayBufferWriter<byte> buffer)
    {
        body.Write(buffer.WrittenSpan);
        body.Flush();
        buffer.ResetWrittenCount();
    }

    /// Blocks this participant's own thread on every wait and returns only completed tasks, so the shared run never
    /// yields and the thread-per-stream baseline stays what it was.
    private readonly struct BlockingWaits(BlockingCollection<StreamEvent> queue) : IParticipantWaits
    {
        public ValueTask HandOnAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
        {
            queue.Add(streamEvent, cancellationToken);
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> NextAsync(IAsyncEnumerator<CompletionUpdate> updates)
        {
            var pending = updates.MoveNextAsync();
            return ValueTask.FromResult(pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult());
        }

        public ValueTask WaitAsync(ValueTask pending)
        {
            if (pending.IsCompleted)
            {
                pending.GetAwaiter().GetResult();
            }
            else
            {
                pending.AsTask().GetAwaiter().GetResult();
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask WaitAsync(Task pending)
        {
            pending.GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> WaitAsync(Task<bool> pending) => ValueTask.FromResult(pending.GetAwaiter().GetResult());
    }
}
