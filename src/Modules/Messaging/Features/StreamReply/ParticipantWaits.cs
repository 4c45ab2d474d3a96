using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Features.StreamReply;

/// The only thing the pipelines do differently with a participant: how they wait for the provider and for the database.
/// The async pipeline awaits; the legacy one blocks its own thread and returns completed tasks, so that the shared
/// <see cref="ParticipantRun"/> runs on that thread from start to end without ever yielding. Either hands each event on
/// to the turn, which every response follows.
internal interface IParticipantWaits
{
    ValueTask HandOnAsync(StreamEvent streamEvent, CancellationToken cancellationToken);

    ValueTask<bool> NextAsync(IAsyncEnumerator<CompletionUpdate> updates);

    ValueTask WaitAsync(ValueTask pending);

    ValueTask WaitAsync(Task pending);

    ValueTask<bool> WaitAsync(Task<bool> pending);
}

/// Awaits everything: the provider and the final write hold no thread.
internal readonly struct AsyncWaits(LiveTurn turn) : IParticipantWaits
{
    public ValueTask HandOnAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        turn.Append(streamEvent);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> NextAsync(IAsyncEnumerator<CompletionUpdate> updates) => updates.MoveNextAsync();

    public ValueTask WaitAsync(ValueTask pending) => pending;

    public ValueTask WaitAsync(Task pending) => new(pending);

    public ValueTask<bool> WaitAsync(Task<bool> pending) => new(pending);
}

/// Blocks this participant's own thread on every wait and returns only completed tasks, so the shared run never yields
/// and the thread-per-stream baseline stays what it was.
internal readonly struct BlockingWaits(LiveTurn turn) : IParticipantWaits
{
    public ValueTask HandOnAsync(StreamEvent streamEvent, CancellationToken cancellationToken)
    {
        turn.Append(streamEvent);
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
