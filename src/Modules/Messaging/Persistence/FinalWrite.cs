using Arena.Modules.Messaging.Domain;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Messaging.Persistence;

/// The last write of one participant's reply, kept whole so that it can be retried as it was.
internal sealed record FinalWrite(Guid MessageId, string Content, MessageStatus Status, string Metadata, DateTimeOffset At, string? Reasoning = null);

internal static class FinalWriteExtensions
{
    public static Task<int> ApplyAsync(this IQueryable<Message> message, FinalWrite end, CancellationToken cancellationToken) =>
        message.ExecuteUpdateAsync(
            set => set.SetProperty(m => m.Content, end.Content).SetProperty(m => m.Status, end.Status).SetProperty(m => m.Metadata, end.Metadata).SetProperty(m => m.UpdatedAt, end.At)
                .SetProperty(m => m.Reasoning, end.Reasoning),
            cancellationToken);
}
