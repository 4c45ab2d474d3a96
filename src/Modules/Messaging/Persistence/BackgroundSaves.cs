using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Persistence;

/// The writes no client waits for, made off the read loops and the requests: the partial copies of every streaming reply
/// in this process and the stream positions of the turns that ended. A participant only drops its newest content into its
/// slot and an ended turn queues its positions; once per flush interval one batch saves every slot that changed and every
/// queued position, and commits without waiting for the WAL flush. So there is at most one partial save in flight per
/// reply (one per process, in fact), the newest content wins, a slow database delays only these copies (never a chunk,
/// never the provider's idle timeout), and a failed save is retried next tick unless newer content replaced it. The
/// database sees one round trip per tick however many streams are open or ended.
internal sealed partial class BackgroundSaves(MessageRows rows, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<BackgroundSaves> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, Slot> slots = new();
    // A turn's replies stay together, so that one flush stores all of them or none.
    private readonly ConcurrentQueue<(Dictionary<Guid, ReplyPositions> Turn, TaskCompletionSource<bool> Stored)> positions = new();
    private bool failing;

    public Slot Track(Guid messageId)
    {
        var slot = new Slot(this, messageId);
        slots[messageId] = slot;
        return slot;
    }

    /// Queues an ended turn's positions for the next flush; the task says whether they were stored (false: a failed save
    /// dropped them). Until then a resume is served from the turn in memory; a crash in between only makes a resume from
    /// the stored rows start the turn over, which its clients are told to expect.
    public Task<bool> SavePositions(Dictionary<Guid, ReplyPositions> turn)
    {
        var stored = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        positions.Enqueue((turn, stored));
        return stored.Task;
    }

    /// Saves every reply whose content changed since its last save and the queued positions, in one round trip.
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (slots.IsEmpty && positions.IsEmpty)
        {
            return;
        }

        List<(Slot Slot, PartialCopy Copy)>? due = null;
        foreach (var slot in slots.Values)
        {
            if (Interlocked.Exchange(ref slot.Copy, null) is { } content)
            {
                (due ??= []).Add((slot, content));
            }
        }

        List<(Guid MessageId, string Positions)>? ended = null;
        List<TaskCompletionSource<bool>>? waiting = null;
        // All of them: a failed save drops them, so the queue holds one interval's turns at most and never builds a backlog.
        while (positions.TryDequeue(out var queued))
        {
            foreach (var (messageId, replyPositions) in queued.Turn)
            {
                (ended ??= []).Add((messageId, replyPositions.Serialize()));
            }

            (waiting ??= []).Add(queued.Stored);
        }

        if (due is null && ended is null)
        {
            return;
        }

        due ??= [];
        var ids = new Guid[due.Count];
        var contents = new string[due.Count];
        var reasonings = new string?[due.Count];
        for (var i = 0; i < due.Count; i++)
        {
            ids[i] = due[i].Slot.MessageId;
            contents[i] = due[i].Copy.Content;
            reasonings[i] = due[i].Copy.Reasoning;
        }

        try
        {
            var settings = options.Value;
            await rows.SaveInBackgroundAsync(ids, contents, reasonings, ended ?? [], Now(), settings.PartialFlushInterval * 2 > settings.FinalWriteTimeout ? settings.PartialFlushInterval * 2 : settings.FinalWriteTimeout, cancellationToken);
            if (failing)
            {
                failing = false;
                LogRecovered(logger);
            }

            Settle(waiting, true);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // One line per outage, not per tick: the copies only bound what a crash can lose, the final writes carry the rest.
            // Positions are not kept for another try: during an outage they would pile up, and without them a resume
            // from the stored rows starts the turn over.
            if (!failing)
            {
                failing = true;
                LogFailed(logger, due.Count, ended?.Count ?? 0, exception.Message);
            }

            foreach (var (slot, content) in due)
            {
                Interlocked.CompareExchange(ref slot.Copy, content, null);
            }

            Settle(waiting, false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(options.Value.PartialFlushInterval, clock);
        while (await tick.WaitForNextTickAsync(stoppingToken))
        {
            await FlushAsync(stoppingToken);
        }
    }

    private static void Settle(List<TaskCompletionSource<bool>>? waiting, bool stored)
    {
        foreach (var turn in waiting ?? [])
        {
            turn.TrySetResult(stored);
        }
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }

    // The reason without a stack trace: a database that refuses for a while is an outage, not a bug.
    [LoggerMessage(LogLevel.Warning, "Could not save the partial content of {Count} streaming replies (retrying next interval, the streams go on) nor the stream positions of {Ended} ended replies (dropped: a resume from the stored rows starts those turns over): {Reason}")]
    private static partial void LogFailed(ILogger logger, int count, int ended, string reason);

    [LoggerMessage(LogLevel.Information, "Partial content and stream position saves work again")]
    private static partial void LogRecovered(ILogger logger);

    /// One reply's newest unsaved content and reasoning. Offering is a single reference write, so a chunk pays no lock and no database.
    internal sealed class Slot(BackgroundSaves owner, Guid messageId) : IDisposable
    {
        public PartialCopy? Copy;

        public Guid MessageId => messageId;

        public void Offer(string content, string? reasoning) => Volatile.Write(ref Copy, new PartialCopy(content, reasoning));

        /// The reply ended: its final write carries the content, and the statement skips rows no longer streaming anyway.
        public void Dispose() => owner.slots.TryRemove(new KeyValuePair<Guid, Slot>(messageId, this));
    }
}

/// What a crash would otherwise lose of a streaming reply: its text and its reasoning so far.
internal sealed record PartialCopy(string Content, string? Reasoning);
