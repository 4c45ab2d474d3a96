using System.Security.Claims;
using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal static class DeleteSession
{
    internal sealed record Command(string OwnerId, Guid SessionId) : ICommand<bool>;

    internal sealed class Handler(SessionsDbContext db, SessionActivity activity, IPublisher publisher) : ICommandHandler<Command, bool>
    {
        public async ValueTask<bool> Handle(Command command, CancellationToken cancellationToken)
        {
            var deleted = await db.Sessions.Where(s => s.Id == command.SessionId && s.OwnerId == command.OwnerId).ExecuteDeleteAsync(cancellationToken) > 0;
            if (deleted)
            {
                activity.Forget(command.SessionId);
                // Other modules keep data per session (messages) without a foreign key across schemas.
                await publisher.Publish(new SessionDeleted(command.SessionId), cancellationToken);
            }

            return deleted;
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
                await mediator.Send(new Command(Owner.Id(user), id), cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DeleteSession")
            .WithSummary("Deletes one of the caller's sessions.");
}
