using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

/// "Continue with this one": a new direct session with one participant's model and its side of the conversation (every
/// user message and that participant's successful replies, as its next turn would have been sent them). The original
/// session stays as it was.
internal static class ForkSession
{
    internal sealed record ForkSessionRequest(
        [property: Required, Description("The participant (a, b, c or d) whose model and side of the conversation the new direct session continues.")] string? Participant,
        [property: StringLength(ChatSession.TitleMaxLength, MinimumLength = 1), Description("Defaults to the original session's title.")] string? Title = null);

    internal sealed record Command(string OwnerId, Guid SessionId, string? Participant, string? Title) : ICommand<Outcome?>;

    internal sealed record Outcome(SessionResponse? Session, string? Conflict);

    internal sealed class Validator : AbstractValidator<Command>
    {
        public Validator()
        {
            RuleFor(c => c.Participant).NotEmpty().Must(p => SessionInfo.ParticipantLetters.Contains(p))
                .WithMessage("'participant' must be one of a, b, c, d.");
            When(c => c.Title is not null, () =>
                RuleFor(c => c.Title).NotEmpty().MaximumLength(ChatSession.TitleMaxLength));
        }
    }

    internal sealed class Handler(SessionsDbContext db, TimeProvider clock, IPublisher publisher) : ICommandHandler<Command, Outcome?>
    {
        public async ValueTask<Outcome?> Handle(Command command, CancellationToken cancellationToken)
        {
            var source = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == command.SessionId && s.OwnerId == command.OwnerId, cancellationToken);
            if (source is null)
            {
                return null;
            }

            if (source.HidesModels)
            {
                return new Outcome(null, "This battle has not been voted on: continuing with one side would reveal its model. Vote first.");
            }

            var participant = SessionInfo.ParticipantLetters.ToList().IndexOf(command.Participant!);
            if (participant >= source.Models.Count)
            {
                throw new FluentValidation.ValidationException([new ValidationFailure("participant", $"'participant' names no model of this session: it has {string.Join(", ", source.Info.Participants)}.")]);
            }

            var now = clock.GetUtcNow().TruncateToMicroseconds();
            var fork = new ChatSession
            {
                Id = Guid.CreateVersion7(now),
                OwnerId = command.OwnerId,
                Mode = SessionMode.Direct,
                ModelA = source.Models[participant],
                Title = command.Title ?? source.Title,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Sessions.Add(fork);
            await db.SaveChangesAsync(cancellationToken);
            try
            {
                // Not cancellable: once the session exists, its history is copied or the session goes again.
                await publisher.Publish(new SessionForked(source.Id, fork.Id, command.OwnerId, participant), CancellationToken.None);
            }
            catch
            {
                await db.Sessions.Where(s => s.Id == fork.Id).ExecuteDeleteAsync(CancellationToken.None);
                throw;
            }

            return new Outcome(SessionResponse.From(fork), null);
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapPost("/{id:guid}/fork", async Task<Results<Created<SessionResponse>, NotFound, ProblemHttpResult>> (Guid id, ForkSessionRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
            {
                var outcome = await mediator.Send(new Command(Owner.Id(user), id, body.Participant, body.Title), cancellationToken);
                return outcome switch
                {
                    null => TypedResults.NotFound(),
                    { Session: { } session } => TypedResults.Created($"/api/sessions/{session.Id}", session),
                    _ => TypedResults.Problem(outcome.Conflict, statusCode: StatusCodes.Status409Conflict),
                };
            })
            .WithName("ForkSession")
            .WithSummary("Continues one participant of a session on its own: a new direct session with that participant's model, the user messages and that participant's successful replies. The original stays.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithRequestExample("""{"participant": "b"}""")
            .WithResponseExample(StatusCodes.Status201Created, """{"id": "019ad5a3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "mode": "direct", "model_a": "mock-sage", "title": "First try", "created_at": "2026-11-29T18:06:00.000000+00:00", "updated_at": "2026-11-29T18:06:00.000000+00:00"}""");
}
