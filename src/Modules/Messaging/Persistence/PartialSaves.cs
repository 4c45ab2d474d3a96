using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Persistence;

/// The partial copies of every streaming reply in this process, written off the read loops: a participant only drops
/// its newest content into its slot, and once per flush interval one statement saves every slot that changed. So there
/// is at most one partial save in flight per reply (one per process, in fact), the newest content wins, a slow database
/// delays only the copies (never a chunk, never the provider's idle timeout), and a failed save is retried next tick
/// unless newer content replaced it. The database sees one statement per tick however many streams are open.
internal sealed partial class PartialSaves(MessageRows rows, TimeProvider clock, IOptions<MessagingOptions> options, ILogger<PartialSaves> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, Slot> slots = new();
    private bool failing;

    public Slot Track(Guid messageId)
    {
        var slot = new Slot(this, messageId);
        slots[messageId] = slot;
        return slot;
    }

    /// Saves every reply whose content changed since its last save, in one statement.
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (slots.IsEmpty)
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

        if (due is null)
        {
            return;
        }

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
            await rows.SavePartialsAsync(ids, contents, reasonings, Now(), settings.PartialFlushInterval * 2 > settings.FinalWriteTimeout ? settings.PartialFlushInterval * 2 : settings.FinalWriteTimeout, cancellationToken);
            if (failing)
            {
                failing = false;
                LogRecovered(logger);
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // One line per outage, not per tick: the copies only bound what a crash can lose, the final writes carry the rest.
            if (!failing)
            {
                failing = true;
                LogFailed(logger, due.Count, exception);
            }

            foreach (var (slot, content) in due)
            {
                Interlocked.CompareExchange(ref slot.Copy, content, null);
            }
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

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }

    [LoggerMessage(LogLevel.Warning, "Could not save the partial content of {Count} streaming replies; retrying next interval, the streams go on")]
    private static partial void LogFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(LogLevel.Information, "Partial content saves work again")]
    private static partial void LogRecovered(ILogger logger);

    /// One reply's newest unsaved content and reasoning. Offering is a single reference write, so a chunk pays no lock and no database.
    internal sealed class Slot(PartialSaves owner, Guid messageId) : IDisposable
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
