using System.Collections.Concurrent;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Streaming;

/// The turns this process generates, one per session (the database allows one streaming turn per session), kept after
/// they end so that a resume right after a drop replays their exact events from memory: until the rows replay them just
/// as exactly (see <see cref="LiveTurn.ReplaysFromRows"/>), or for <see cref="MessagingOptions.LiveTurnRetention"/>.
internal sealed class LiveTurns(BackgroundSaves saves, TimeProvider clock, IOptions<MessagingOptions> options)
{
    private readonly ConcurrentDictionary<Guid, LiveTurn> turns = new();

    public LiveTurn Begin(OpenedStream stream)
    {
        var settings = options.Value;
        var turn = new LiveTurn(stream, settings.ResumeBufferEvents, settings.ResumeGrace, clock);
        // A new turn can only start once the previous one's rows are settled, so whatever it replaces has ended.
        if (turns.TryGetValue(stream.SessionId, out var previous))
        {
            previous.Dispose();
        }

        turns[stream.SessionId] = turn;
        return turn;
    }

    public LiveTurn? Find(Guid sessionId) => turns.TryGetValue(sessionId, out var turn) ? turn : null;

    /// The turns this process is still generating.
    public List<LiveTurn> Running() => [.. turns.Values.Where(turn => !turn.IsEnded)];

    /// Ends the turn's life in this process: its followers see the end, its positions are queued to be stored with its rows
    /// (so that a resume from the database continues exactly), and it is forgotten once they are stored if the rows then
    /// replay it exactly, else after the live retention window.
    public void Complete(LiveTurn turn)
    {
        turn.Close();
        turn.Slot?.Release();
        var stored = turn.Positions() is { Count: > 0 } positions ? saves.SavePositions(positions) : null;
        turn.MarkEnded();
        // Without the request's execution context: the wait would keep it, and with it the request's activities, log
        // scopes and user, alive for the whole retention window.
        using (ExecutionContext.SuppressFlow())
        {
            _ = ForgetLaterAsync(turn, turn.ReplaysFromRows() ? stored : null);
        }
    }

    private async Task ForgetLaterAsync(LiveTurn turn, Task<bool>? stored)
    {
        var settings = options.Value;
        var retention = settings.LiveTurnRetention < settings.ResumeRetention ? settings.LiveTurnRetention : settings.ResumeRetention;
        var since = clock.GetTimestamp();
        if (stored is not null)
        {
            await ((Task)stored).WaitAsync(retention, clock).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // An ended turn keeps every event it sent, and under load held turns are most of the heap: once its rows replay it
        // exactly, they serve a resume as well as memory does.
        if (stored is not { IsCompletedSuccessfully: true, Result: true } && retention - clock.GetElapsedTime(since) is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, clock);
        }

        if (turns.TryRemove(new KeyValuePair<Guid, LiveTurn>(turn.SessionId, turn)))
        {
            turn.Dispose();
        }
    }
}
