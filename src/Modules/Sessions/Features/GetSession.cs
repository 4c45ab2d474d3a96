using System.Security.Claims;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal static class GetSession
{
    internal sealed record Query(string OwnerId, Guid SessionId) : IQuery<SessionResponse?>;

    internal sealed class Handler(SessionsDbContext db, SessionActivity activity) : IQueryHandler<Query, SessionResponse?>
    {
        public async ValueTask<SessionResponse?> Handle(Query query, CancellationToken cancellationToken)
        {
            await activity.WriteAsync(query.OwnerId, cancellationToken);
            var session = await db.Sessions.AsNoTracking()
                .FirstOrDefaultAsync(s => s.Id == query.SessionId && s.OwnerId == query.OwnerId, cancellationToken);
            return session is null ? null : SessionResponse.From(session);
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:guid}", async Task<Results<Ok<SessionResponse>, NotFound>> (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
                await mediator.Send(new Query(Owner.Id(user), id), cancellationToken) is { } session ? TypedResults.Ok(session) : TypedResults.NotFound())
            .WithName("GetSession")
            .WithSummary("One of the caller's sessions; another user's session answers 404 like a missing one.");
}
