using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Messaging.Features;

/// Copies into a forked session exactly what the participant's next turn would have been sent: every user message and
/// that participant's successful replies, the replies now participant a. A turn still streaming for it is not history
/// yet and stays behind. The copies keep their times, so they list in the same order, and carry no owner, so that the
/// per-user limits never count them as requests.
internal sealed class CopyForkedHistoryHandler(MessagingDbContext db) : INotificationHandler<SessionForked>
{
    public async ValueTask Handle(SessionForked notification, CancellationToken cancellationToken)
    {
        var participant = (Participant)notification.Participant;
        var source = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == notification.SourceSessionId)
            .Where(m => (m.Role == MessageRole.User && !db.Messages.Any(r => r.ParentId == m.Id && r.Participant == participant && r.Status == MessageStatus.Streaming))
                || (m.Role == MessageRole.Assistant && m.Participant == participant && m.Status == MessageStatus.Success))
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Role == MessageRole.Assistant)
            .ToListAsync(cancellationToken);

        var copies = new Dictionary<Guid, Guid>();
        foreach (var message in source)
        {
            var id = Guid.CreateVersion7(message.CreatedAt);
            copies[message.Id] = id;
            db.Messages.Add(new Message
            {
                Id = id,
                SessionId = notification.SessionId,
                Role = message.Role,
                Content = message.Content,
                Reasoning = message.Reasoning,
                ParentId = message.ParentId is { } parent && copies.TryGetValue(parent, out var copiedParent) ? copiedParent : null,
                Model = message.Model,
                Participant = message.Role == MessageRole.Assistant ? Participant.A : null,
                Status = message.Status,
                Metadata = message.Metadata,
                CreatedAt = message.CreatedAt,
                UpdatedAt = message.UpdatedAt,
            });
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
