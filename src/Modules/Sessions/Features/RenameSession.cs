using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal static class RenameSession
{
    internal sealed record RenameSessionRequest([property: Required, StringLength(ChatSession.TitleMaxLength, MinimumLength = 1)] string? Title);

    internal sealed record Command(string OwnerId, Guid SessionId, string? Title) : ICommand<SessionResponse?>;

    internal sealed class Validator : AbstractValidator<Command>
    {
        public Validator() => RuleFor(c => c.Title).NotEmpty().MaximumLength(ChatSession.TitleMaxLength);
    }

    internal sealed class Handler(SessionsDbContext db, TimeProvider clock) : ICommandHandler<Command, SessionResponse?>
    {
        public async ValueTask<SessionResponse?> Handle(Command command, CancellationToken cancellationToken)
        {
            var session = await db.Sessions.FirstOrDefaultAsync(s => s.Id == command.SessionId && s.OwnerId == command.OwnerId, cancellationToken);
            if (session is null)
            {
                return null;
            }

            session.Title = command.Title!;
            session.UpdatedAt = clock.GetUtcNow().TruncateToMicroseconds();
            await db.SaveChangesAsync(cancellationToken);
            return SessionResponse.From(session);
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapPatch("/{id:guid}", async Task<Results<Ok<SessionResponse>, NotFound>> (Guid id, RenameSessionRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
                await mediator.Send(new Command(Owner.Id(user), id, body.Title), cancellationToken) is { } session ? TypedResults.Ok(session) : TypedResults.NotFound())
            .WithName("RenameSession")
            .WithSummary("Changes a session's title.")
            .ProducesValidationProblem()
            .WithRequestExample("""{"title": "Swift vs Sage on recursion"}""");
}
