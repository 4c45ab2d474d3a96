using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Mediator;

namespace Arena.Modules.Messaging.Features;

/// A deleted session first gets its mark, under the session's lock: from then on no turn of it starts on any instance,
/// and a turn that started just before is in the table. That turn is stopped the way <c>POST /stop</c> stops it, so that
/// no upstream call runs on for a session that is gone, and only then are the rows removed, so that nothing it wrote
/// stays behind. The session row is already gone, so a client that leaves does not cut this short.
internal sealed class DeleteSessionMessagesHandler(MessageRows rows, TurnStops stops, TimeProvider clock) : INotificationHandler<SessionDeleted>
{
    public async ValueTask Handle(SessionDeleted notification, CancellationToken cancellationToken)
    {
        await rows.MarkDeletedAsync(notification.SessionId, clock.GetUtcNow(), CancellationToken.None);
        await stops.StopAsync(notification.SessionId, CancellationToken.None);
        await rows.DeleteSessionAsync(notification.SessionId, CancellationToken.None);
    }
}
