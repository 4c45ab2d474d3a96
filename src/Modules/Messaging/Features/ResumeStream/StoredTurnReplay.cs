using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Features.ResumeStream;

/// An ended turn that no instance holds in memory, replayed from its rows. When the turn's positions were stored (every
/// turn whose instance lived to its end), the replay rebuilds exactly the events the turn sent, with their ids: each delta
/// is the slice of the stored content it carried, each reasoning chunk the slice of the stored reasoning, and each tool
/// call the one the row's metadata lists in its place. Otherwise (the instance died: the replies are <c>interrupted</c>) the
/// turn starts over, coalesced per participant: its start, its whole stored content as one delta, its end; a client that
/// sees a <c>start</c> again replaces what it had. A reply's end is <c>finish</c> for a success, <c>error</c> then
/// <c>finish</c> for a failure, and <c>error</c> with code <c>cancelled</c>, <c>shutdown</c> or <c>interrupted</c> for a
/// stopped reply, one its instance's shutdown ended, or one whose instance died. A battle not yet voted on names no model in
/// its starts, as its live stream did not.
internal static class StoredTurnReplay
{
    /// The turn the rows rebuild, ended, for a follower to write as it writes a live one.
    public static LiveTurn Rebuild(Guid sessionId, IReadOnlyList<MessageRows.StoredReply> replies, bool hideModels)
    {
        var (events, done) = Events(replies, hideModels);
        return LiveTurn.Replay(sessionId, events, done);
    }

    private static (List<(long Id, StreamEvent Event)> Events, long Done) Events(IReadOnlyList<MessageRows.StoredReply> replies, bool hideModels)
    {
        var positions = replies.Select(r => ReplyPositions.Deserialize(r.Positions)).ToList();
        var events = new List<(long Id, StreamEvent Event)>();
        if (positions.TrueForAll(p => p is not null))
        {
            for (var i = 0; i < replies.Count; i++)
            {
                var (reply, at) = (replies[i], positions[i]!);
                events.Add((at.Start, new StreamStarted(reply.Participant, reply.Id, hideModels ? null : reply.Model)));
                foreach (var (id, text) in Slices(at.Deltas, reply.Content))
                {
                    events.Add((id, new StreamDelta(reply.Participant, text)));
                }

                foreach (var (id, text) in Slices(at.Reasoning ?? [], reply.Reasoning ?? ""))
                {
                    events.Add((id, new StreamReasoning(reply.Participant, text)));
                }

                if (at.ToolCalls is { Length: > 0 } callIds && MessageMetadata.Deserialize(reply.Metadata)?.ToolCalls is { } calls)
                {
                    for (var c = 0; c < Math.Min(callIds.Length, calls.Count); c++)
                    {
                        events.Add((callIds[c], new StreamToolCall(reply.Participant, calls[c].Id, calls[c].Name, calls[c].Arguments)));
                    }
                }

                if (at.Error is { } error)
                {
                    events.Add((error, Failure(reply)));
                }

                if (at.End is { } end)
                {
                    events.Add((end, Finish(reply)));
                }
            }

            events.Sort((x, y) => x.Id.CompareTo(y.Id));
            return (events, positions.Max(p => p!.Done));
        }

        foreach (var reply in replies)
        {
            events.Add((events.Count + 1, new StreamStarted(reply.Participant, reply.Id, hideModels ? null : reply.Model)));
            if (reply.Content.Length > 0)
            {
                events.Add((events.Count + 1, new StreamDelta(reply.Participant, reply.Content)));
            }

            if (reply.Status != MessageStatus.Success)
            {
                events.Add((events.Count + 1, Failure(reply)));
            }

            if (reply.Status is MessageStatus.Success or MessageStatus.Error)
            {
                events.Add((events.Count + 1, Finish(reply)));
            }
        }

        return (events, events.Count + 1);
    }

    /// The chunks of a stored text by their [id, end offset] positions. The last one also carries anything stored after it
    /// (a chunk the stop caught between row and event).
    private static IEnumerable<(long Id, string Text)> Slices(long[][] positions, string stored)
    {
        var from = 0;
        for (var i = 0; i < positions.Length; i++)
        {
            var to = i == positions.Length - 1 ? stored.Length : (int)Math.Min(positions[i][1], stored.Length);
            yield return (positions[i][0], stored[from..Math.Max(from, to)]);
            from = Math.Max(from, to);
        }
    }

    /// The stored error where the row has one (a shutdown stores its own; a crash leaves none).
    private static StreamFailed Failure(MessageRows.StoredReply reply) =>
        reply.Status == MessageStatus.Cancelled ? new StreamFailed(reply.Participant, "cancelled", "The reply was stopped before it ended.")
        : MessageMetadata.Deserialize(reply.Metadata)?.Error is { } error ? new StreamFailed(reply.Participant, error.Code, error.Message)
        : reply.Status == MessageStatus.Interrupted ? new StreamFailed(reply.Participant, "interrupted", "The instance generating the reply stopped; this is what was saved.")
        : new StreamFailed(reply.Participant, WireNames.Of(CompletionErrorCode.Unknown), "The reply failed.");

    private static StreamFinished Finish(MessageRows.StoredReply reply)
    {
        var metadata = MessageMetadata.Deserialize(reply.Metadata);
        return new StreamFinished(
            reply.Participant,
            metadata?.FinishReason ?? WireNames.Of(FinishReason.Stop),
            metadata?.Usage is { } usage ? new TokenUsage(usage.PromptTokens, usage.CompletionTokens, usage.CacheReadTokens, usage.CacheWriteTokens, usage.ReasoningTokens) : null,
            metadata?.TtftMs,
            metadata?.DurationMs ?? 0,
            Stored: true);
    }
}
