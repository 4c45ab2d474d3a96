using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming;

/// The only thing the pipelines do differently with a participant: how they wait for the provider and for the database,
/// and how they hand an event on. The async pipeline awaits; the legacy one blocks its own thread and returns completed
/// tasks, so that the shared <see cref="ParticipantRun"/> runs on that thread from start to end without ever yielding.
internal interface IParticipantWaits
{
    ValueTask HandOnAsync(StreamEvent streamEvent, CancellationToken cancellationToken);

    ValueTask<bool> NextAsync(IAsyncEnumerator<CompletionUpdate> updates);

    ValueTask WaitAsync(ValueTask pending);

    ValueTask WaitAsync(Task pending);

    ValueTask<bool> WaitAsync(Task<bool> pending);
}
