using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Messaging.Features;

internal sealed class DeleteSessionMessagesHandler(IDbContextFactory<MessagingDbContext> contexts) : INotificationHandler<SessionDeleted>
{
    public async ValueTask Handle(SessionDeleted notification, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Messages.Where(m => m.SessionId == notification.SessionId).ExecuteDeleteAsync(cancellationToken);
    }
}
