using System.Numerics;
using Arena.Modules.Messaging.Domain;

namespace Arena.Modules.Messaging.Streaming;

/// One turn as the process generating it sees it: the events so far (what every response to it writes), a token that
/// stops it from any request, and the clients attached to it. It is the turn's one channel: its participants append, one
/// at a time under a lock, in arrival order; any number of followers read up to the published count without one, so an
/// event costs the lock, an array store, one fenced counter write and, only while a follower waits, one wake-up. The id of an event is its index plus one: the SSE id it travels with,
/// in every response that carries it. A turn rebuilt from its stored rows (<see cref="Replay"/>) is an ended one whose
/// events keep the ids they were stored with.
internal sealed class LiveTurn : IDisposable
{
    // Segment k holds FirstSegmentSize << k events, so a short turn (most are) allocates a few hundred bytes, not a
    // fixed block, and a long one still grows without copying what followers may be reading.
    private const int FirstSegmentShift = 4;
    private const int FirstSegmentSize = 1 << FirstSegmentShift;

    // Room past the limit for the events that close a stopped turn, so its followers always see its end.
    private const int ClosingRoom = 8;

    private readonly StreamEvent[]?[] segments;
    private readonly int limit;
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock clientsLock = new();
    private readonly Lock appendLock = new();
    private readonly HashSet<Participant> finished = [];
    private readonly ITimer? grace;
    private readonly TimeSpan graceDelay;
    private readonly bool resumable;
    private readonly (Participant Participant, Guid MessageId)[] replies;
    private readonly long[]? ids;
    private readonly long doneId;
    private TaskCompletionSource? signal;
    private int published;
    private int clients;
    private bool overflowed;
    private bool closed;
    private volatile bool shutDown;

    /// <paramref name="limit"/>: how many events a resumable turn keeps before it ends as stopped. Every response follows
    /// the turn through this buffer, so a turn whose generation ends with its client's connection is not limited: it
    /// holds what its transcript holds anyway, and its client reads it all, as it did when it read the merge itself.
    public LiveTurn(OpenedStream stream, int limit, TimeSpan graceDelay, TimeProvider clock)
    {
        // Not the stream itself: its plans carry each participant's whole history, which an ended turn kept in memory
        // for resumes has no use for.
        SessionId = stream.SessionId;
        Slot = stream.Slot;
        resumable = stream.Resumable;
        replies = [.. stream.Participants.Select(plan => (plan.Participant, plan.MessageId))];
        this.limit = stream.Resumable ? limit : int.MaxValue - ClosingRoom;
        this.graceDelay = graceDelay;
        segments = new StreamEvent[]?[SegmentOf(this.limit + ClosingRoom) + 1];
        if (stream.Resumable)
        {
            grace = clock.CreateTimer(static state => ((LiveTurn)state!).GraceExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private LiveTurn(Guid sessionId, List<(long Id, StreamEvent Event)> events, long doneId)
    {
        SessionId = sessionId;
        replies = [];
        limit = events.Count;
        segments = new StreamEvent[]?[SegmentOf(limit + ClosingRoom) + 1];
        ids = new long[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            ids[i] = events[i].Id;
            Publish(events[i].Event);
        }

        this.doneId = doneId;
        closed = true;
        ended.TrySetResult();
    }

    public Guid SessionId { get; }

    public OwnerStreams.OwnerSlot? Slot { get; }

    /// Cancelled by <see cref="Stop"/>, or when a resumable turn stayed without a client for its grace period.
    public CancellationToken Token => stop.Token;

    public int Count => Volatile.Read(ref published);

    public bool IsEnded => ended.Task.IsCompleted;

    /// Completes once the turn's rows are settled and its last event is published.
    public Task Ended => ended.Task;

    /// True when the turn had more events than the buffer keeps: followers reaching the limit cannot be served live.
    public bool Overflowed => Volatile.Read(ref overflowed);

    /// The id of the end of the turn (the sse <c>done</c>), once it ended.
    public long DoneId => ids is null ? Count + 1 : doneId;

    public StreamEvent this[int index]
    {
        get
        {
            var segment = SegmentOf(index);
            return segments[segment]![index - SegmentStart(segment)];
        }
    }

    /// An ended turn of <paramref name="events"/> in id order, for a follower to write as it writes a live one.
    public static LiveTurn Replay(Guid sessionId, List<(long Id, StreamEvent Event)> events, long doneId) => new(sessionId, events, doneId);

    /// The id the event at <paramref name="index"/> travels with.
    public long IdOf(int index) => ids is null ? index + 1 : ids[index];

    public void Append(StreamEvent streamEvent)
    {
        lock (appendLock)
        {
            if (streamEvent is StreamFinished { Participant: var participant })
            {
                finished.Add(participant);
            }

            if (published >= limit)
            {
                Volatile.Write(ref overflowed, true);
                // A resumable turn reaches its clients only through the buffer: rather than a gap, it ends as stopped.
                if (resumable)
                {
                    Stop();
                }

                return;
            }

            Publish(streamEvent);
        }
    }

    /// Called by the runner, once every participant ended and the rows are settled; returns how many closing events it published
    /// (none when called again). A participant that never finished was cancelled (a stop, a lapsed grace, or the client of
    /// a non-resumable turn leaving) or ended by the instance's shutdown: its clients read that as an error.
    public int Close()
    {
        if (closed)
        {
            return 0;
        }

        closed = true;
        var closing = 0;
        foreach (var (participant, _) in replies)
        {
            if (!finished.Contains(participant))
            {
                Publish(shutDown
                    ? new StreamFailed(participant, StreamDrain.ShutdownCode, StreamDrain.ShutdownMessage)
                    : new StreamFailed(participant, "cancelled", "The reply was stopped before it ended."));
                closing++;
            }
        }

        return closing;
    }

    /// After <see cref="Close"/>: followers write the end, and <see cref="Ended"/> completes.
    public void MarkEnded()
    {
        grace?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        ended.TrySetResult();
        Wake();
    }

    /// Where each reply's events sit in the turn, once closed; null when the buffer overflowed and some are missing.
    public Dictionary<Guid, ReplyPositions>? Positions()
    {
        if (Overflowed)
        {
            return null;
        }

        var count = Count;
        var byParticipant = new Dictionary<Participant, ReplyTrace>();
        for (var i = 0; i < count; i++)
        {
            long id = i + 1;
            switch (this[i])
            {
                case StreamStarted started:
                    byParticipant[started.Participant] = new ReplyTrace(id);
                    break;
                case StreamDelta delta when byParticipant.TryGetValue(delta.Participant, out var reply):
                    reply.ContentLength += delta.Content.Length;
                    reply.Deltas.Add([id, reply.ContentLength]);
                    break;
                case StreamReasoning thought when byParticipant.TryGetValue(thought.Participant, out var reply):
                    reply.ReasoningLength += thought.Content.Length;
                    (reply.Reasoning ??= []).Add([id, reply.ReasoningLength]);
                    break;
                case StreamToolCall call when byParticipant.TryGetValue(call.Participant, out var reply):
                    (reply.ToolCalls ??= []).Add(id);
                    break;
                case StreamFailed failed when byParticipant.TryGetValue(failed.Participant, out var reply):
                    reply.Error = id;
                    break;
                case StreamFinished done when byParticipant.TryGetValue(done.Participant, out var reply):
                    reply.End = id;
                    break;
            }
        }

        var positions = new Dictionary<Guid, ReplyPositions>();
        foreach (var (participant, messageId) in replies)
        {
            if (byParticipant.TryGetValue(participant, out var reply))
            {
                positions[messageId] = new ReplyPositions(reply.Start, [.. reply.Deltas], reply.Error, reply.End, count + 1, reply.Reasoning?.ToArray(), reply.ToolCalls?.ToArray());
            }
        }

        return positions;
    }

    /// Whether the stored rows, once the turn's positions are saved, rebuild exactly these events (see
    /// <c>StoredTurnReplay</c>): each reply started, streamed its text, reasoning and tool calls and finished with its row
    /// final, and nothing else happened (a failure's row may word it differently, and a stop's events are the turn's own).
    public bool ReplaysFromRows()
    {
        if (Overflowed)
        {
            return false;
        }

        var finishedStored = 0;
        for (var i = 0; i < Count; i++)
        {
            switch (this[i])
            {
                case StreamStarted or StreamDelta or StreamReasoning or StreamToolCall:
                    break;
                case StreamFinished { Stored: true }:
                    finishedStored++;
                    break;
                default:
                    return false;
            }
        }

        return finishedStored == replies.Length;
    }

    public void Stop()
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The turn was already dropped from memory; nothing runs any more.
        }
    }

    /// Ends the turn because the instance is shutting down: as <see cref="Stop"/>, but its clients read <c>shutdown</c>.
    public void ShutDown()
    {
        shutDown = true;
        Stop();
    }

    public void Attach()
    {
        lock (clientsLock)
        {
            clients++;
            grace?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public void Detach()
    {
        lock (clientsLock)
        {
            if (--clients == 0 && !IsEnded)
            {
                grace?.Change(graceDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// Completes once an event past <paramref name="position"/> is published, the turn ended, or <see cref="Wake"/> was
    /// called. No timer and no registration per wait: a follower that needs a timeout or a cancellation wakes the turn
    /// itself, once for its whole life (a wake costs the turn's other followers a look at an unchanged count).
    public Task WaitBeyondAsync(int position)
    {
        if (Count > position || IsEnded)
        {
            return Task.CompletedTask;
        }

        var waiter = Signal();
        return Count > position || IsEnded ? Task.CompletedTask : waiter.Task;
    }

    /// <see cref="WaitBeyondAsync"/> for a follower on a thread of its own, which it blocks; a cancellation throws.
    public void WaitBeyond(int position, CancellationToken cancellationToken)
    {
        if (Count > position || IsEnded)
        {
            return;
        }

        var waiter = Signal();
        if (Count > position || IsEnded)
        {
            return;
        }

        waiter.Task.Wait(cancellationToken);
    }

    public void Dispose()
    {
        grace?.Dispose();
        stop.Dispose();
    }

    private void Publish(StreamEvent streamEvent)
    {
        var index = published;
        var number = SegmentOf(index);
        var segment = segments[number] ??= new StreamEvent[FirstSegmentSize << number];
        segment[index - SegmentStart(number)] = streamEvent;
        // A full fence: the event is visible before the count, and the count before the waiter is read.
        Interlocked.Exchange(ref published, index + 1);
        if (Volatile.Read(ref signal) is not null)
        {
            Wake();
        }
    }

    /// The task the next event completes. The exchange is a full fence, so an event published before it is seen by the
    /// caller's check after it, and one published after it completes the task.
    private TaskCompletionSource Signal()
    {
        var waiter = Volatile.Read(ref signal);
        if (waiter is null)
        {
            var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiter = Interlocked.CompareExchange(ref signal, fresh, null) ?? fresh;
        }

        return waiter;
    }

    private static int SegmentOf(int index) => BitOperations.Log2((uint)(index >> FirstSegmentShift) + 1);

    private static int SegmentStart(int segment) => FirstSegmentSize * ((1 << segment) - 1);

    /// Completes the followers' waits, whether or not anything was published.
    public void Wake() => Interlocked.Exchange(ref signal, null)?.TrySetResult();

    private void GraceExpired()
    {
        lock (clientsLock)
        {
            if (clients > 0)
            {
                return;
            }
        }

        Stop();
    }

    /// One reply's positions while <see cref="Positions"/> walks the turn.
    private sealed class ReplyTrace(long start)
    {
        public long Start { get; } = start;

        public List<long[]> Deltas { get; } = [];

        public List<long[]>? Reasoning { get; set; }

        public List<long>? ToolCalls { get; set; }

        public long? Error { get; set; }

        public long? End { get; set; }

        public long ContentLength { get; set; }

        public long ReasoningLength { get; set; }
    }
}
