using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Messaging.Features;

/// A session deleted while it streams first has its turn stopped, the same way <c>POST /stop</c> does, so that no upstream
/// call runs on for a session that is gone and no final write lands after the delete.
internal sealed class DeleteSessionMessagesHandler(IDbContextFactory<MessagingDbContext> contexts, TurnStops stops) : INotificationHandler<SessionDeleted>
{
    public async ValueTask Handle(SessionDeleted notification, CancellationToken cancellationToken)
    {
        await stops.StopAsync(notification.SessionId, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Messages.Where(m => m.SessionId == notification.SessionId).ExecuteDeleteAsync(cancellationToken);
    }
}
