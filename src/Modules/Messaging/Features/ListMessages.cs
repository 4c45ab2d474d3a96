using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Sessions.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Messaging.Features;

internal static class ListMessages
{
    internal sealed record Query(string OwnerId, Guid SessionId) : IQuery<MessageList?>;

    internal sealed record MessageList(IReadOnlyList<MessageResponse> Items);

    internal sealed record MessageResponse(
        Guid Id,
        Guid SessionId,
        [property: AllowedValues("user", "assistant", "system")] string Role,
        string Content,
        string? Reasoning,
        Guid? ParentId,
        string? Model,
        [property: AllowedValues("a", "b", "c", "d")] string? Participant,
        [property: AllowedValues("streaming", "success", "error", "cancelled", "interrupted", "tool_calls")] string Status,
        MessageMetadata? Metadata,
        DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt);

    internal sealed class Handler(IMediator mediator, MessagingDbContext db) : IQueryHandler<Query, MessageList?>
    {
        public async ValueTask<MessageList?> Handle(Query query, CancellationToken cancellationToken)
        {
            if (await mediator.Send(new FindSession(query.SessionId, query.OwnerId), cancellationToken) is not { } session)
            {
                return null;
            }

            var hideModels = session is { Battle: true, RevealedAt: null };

            var messages = await db.Messages.AsNoTracking()
                .Where(m => m.SessionId == query.SessionId)
                .OrderBy(m => m.CreatedAt).ThenBy(m => m.Role == MessageRole.Assistant).ThenBy(m => m.Participant)
                .ToListAsync(cancellationToken);
            return new MessageList([.. messages.Select(m => new MessageResponse(
                m.Id,
                m.SessionId,
                m.Role == MessageRole.User ? "user" : "assistant",
                m.Content,
                m.Reasoning,
                m.ParentId,
                hideModels ? null : m.Model,
                m.Participant is { } participant ? WireNames.Of(participant) : null,
                WireNames.Of(m.Status),
                MessageMetadata.Deserialize(m.Metadata),
                m.CreatedAt,
                m.UpdatedAt))]);
        }
    }

    internal static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/sessions/{id:guid}/messages", async Task<Results<Ok<MessageList>, NotFound>> (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
                await mediator.Send(new Query(user.FindFirstValue("sub")!, id), cancellationToken) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound())
            .WithTags("Messages")
            .WithName("ListMessages")
            .WithSummary("The messages of one of the caller's sessions, oldest first, with status and metadata.");
}
