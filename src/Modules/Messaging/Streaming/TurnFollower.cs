using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Streaming;

/// Writes a live turn to one client from a position on, then live until the turn ends. A position counts the events the
/// protocol sends (every event for <c>sse</c>, where it is the event's id; the lines for <c>data</c>), so a client resumes
/// right after the last thing it received and never sees an event twice.
internal sealed class TurnFollower(TimeProvider clock, IOptions<MessagingOptions> options)
{
    /// False when the client asked for a position the turn can no longer replay from memory (the buffer overflowed).
    public async Task<bool> FollowAsync(HttpContext context, LiveTurn turn, StreamProtocol protocol, long after, CancellationToken cancellationToken)
    {
        var writer = StreamWireWriter.For(protocol);
        var body = context.Response.BodyWriter;
        var keepAlive = options.Value.KeepAliveInterval;
        turn.Attach();
        try
        {
            var position = 0;
            long sent = 0;
            var started = false;
            while (true)
            {
                // Read the end before the count: once ended, every event is published.
                var ended = turn.IsEnded;
                var count = turn.Count;
                var wrote = false;
                for (; position < count; position++)
                {
                    var streamEvent = turn[position];
                    if (!writer.Sends(streamEvent) || ++sent <= after)
                    {
                        continue;
                    }

                    writer.ContinueAfter(sent - 1);
                    wrote |= writer.Write(streamEvent, body);
                }

                if (ended && position == count)
                {
                    if (turn.Overflowed && sent < after)
                    {
                        return false;
                    }

                    writer.ContinueAfter(sent);
                    if (sent + 1 > after && writer.WriteEnd(body))
                    {
                        wrote = true;
                    }

                    if (wrote || !started)
                    {
                        await body.FlushAsync(cancellationToken);
                    }

                    return true;
                }

                if (wrote || !started)
                {
                    started = true;
                    await body.FlushAsync(cancellationToken);
                }

                if (!await turn.WaitBeyondAsync(position, keepAlive, clock, cancellationToken) && writer.Write(StreamKeepAlive.Instance, body))
                {
                    await body.FlushAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; a resumable turn keeps running for its grace period.
            return true;
        }
        finally
        {
            turn.Detach();
        }
    }
}
