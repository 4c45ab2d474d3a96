using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Sessions.Features;

internal static class CreateSession
{
    /// Mode and model_a stay nullable here so that a missing one reaches the validator, which names it.
    internal sealed record CreateSessionRequest(
        [property: Required, Description("direct: one model answers (participant a); compare: two to four answer each prompt at once (a, b, c, d); battle: two models the server draws answer anonymously until the vote.")] SessionMode? Mode,
        [property: MinLength(1), Description("A model id from GET /api/models; participant a. Required in direct mode, and in compare mode unless models is given; absent or null in battle mode.")] string? ModelA = null,
        [property: MinLength(1), Description("A model id from GET /api/models; participant b. Required in compare mode unless models is given; absent or null in direct and battle mode.")] string? ModelB = null,
        [property: StringLength(ChatSession.TitleMaxLength, MinimumLength = 1), Description("Defaults to \"New chat\" when absent or null.")] string? Title = null,
        [property: MinLength(2), MaxLength(SessionsOptions.ParticipantLimit), Description("Compare mode only, instead of model_a and model_b: two to four model ids from GET /api/models (at most Arena:Sessions:MaxCompareModels), participants a, b, c and d in that order. A model may appear more than once; each participant keeps its own conversation.")] IReadOnlyList<string>? Models = null);

    internal sealed record Command(string OwnerId, SessionMode? Mode, string? ModelA, string? ModelB, string? Title, IReadOnlyList<string>? Models = null) : ICommand<SessionResponse>
    {
        /// The participants' models however the request named them: <c>models</c>, or <c>model_a</c> and <c>model_b</c>.
        public IReadOnlyList<string?> Participants => Models is { } models ? [.. models] : Mode == SessionMode.Compare ? [ModelA, ModelB] : [ModelA];
    }

    internal sealed class Validator : AbstractValidator<Command>
    {
        public Validator(IMediator mediator, IOptions<SessionsOptions> options)
        {
            var max = options.Value.MaxCompareModels;
            RuleFor(c => c.Mode).NotNull().WithMessage("'mode' is required: one of direct, compare, battle.");
            When(c => c.Models is null && c.Mode != SessionMode.Battle, () =>
                RuleFor(c => c.ModelA).NotEmpty().MustAsync((id, ct) => IsKnownModel(mediator, id, ct))
                    .WithMessage("'model_a' is not a model in the catalog (GET /api/models)."));
            When(c => c.Mode == SessionMode.Battle, () =>
            {
                RuleFor(c => c.ModelA).Null().WithMessage("'model_a' must be absent in battle mode: the server draws both models.");
                RuleFor(c => c.ModelB).Null().WithMessage("'model_b' must be absent in battle mode: the server draws both models.");
            });
            When(c => c.Models is null && c.Mode == SessionMode.Compare, () =>
                RuleFor(c => c.ModelB).NotEmpty().WithMessage("'model_b' is required in compare mode (or 'models').")
                    .MustAsync((id, ct) => IsKnownModel(mediator, id, ct))
                    .WithMessage("'model_b' is not a model in the catalog (GET /api/models)."));
            When(c => c.Mode == SessionMode.Direct, () =>
                RuleFor(c => c.ModelB).Null().WithMessage("'model_b' must be absent in direct mode."));
            When(c => c.Models is not null, () =>
            {
                RuleFor(c => c.Models).Must((c, _) => c.Mode == SessionMode.Compare)
                    .WithMessage("'models' is for compare mode only: direct mode takes model_a, battle mode draws its models.");
                RuleFor(c => c.Models).Must((c, _) => c.ModelA is null && c.ModelB is null)
                    .WithMessage("'models' replaces model_a and model_b: send one or the other.");
                RuleFor(c => c.Models!.Count).InclusiveBetween(2, max).OverridePropertyName("models")
                    .WithMessage($"'models' must name 2 to {max} models.");
                RuleForEach(c => c.Models).NotEmpty().MustAsync((id, ct) => IsKnownModel(mediator, id, ct))
                    .WithMessage("'{PropertyName}' is not a model in the catalog (GET /api/models).");
            });
            When(c => c.Title is not null, () =>
                RuleFor(c => c.Title).NotEmpty().MaximumLength(ChatSession.TitleMaxLength));
        }

        private static async Task<bool> IsKnownModel(IMediator mediator, string? modelId, CancellationToken cancellationToken) =>
            modelId is not null && await mediator.Send(new FindModel(modelId), cancellationToken) is not null;
    }

    internal sealed class Handler(SessionsDbContext db, TimeProvider clock, IMediator mediator, IOptions<BattleDrawOptions> battles) : ICommandHandler<Command, SessionResponse>
    {
        public async ValueTask<SessionResponse> Handle(Command command, CancellationToken cancellationToken)
        {
            var now = clock.GetUtcNow().TruncateToMicroseconds();
            var draw = command.Mode == SessionMode.Battle
                ? await DrawAsync(cancellationToken)
                    ?? throw new FluentValidation.ValidationException([new ValidationFailure("mode", "Fewer than two catalog models take part in battles.")])
                : null;
            var session = new ChatSession
            {
                Id = Guid.CreateVersion7(now),
                OwnerId = command.OwnerId,
                Mode = command.Mode!.Value,
                ModelA = draw?.ModelA ?? command.Participants[0]!,
                ModelB = draw?.ModelB ?? command.Participants.ElementAtOrDefault(1),
                ModelC = command.Participants.ElementAtOrDefault(2),
                ModelD = command.Participants.ElementAtOrDefault(3),
                BattleSeed = draw?.Seed,
                Title = command.Title ?? ChatSession.DefaultTitle,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Sessions.Add(session);
            await db.SaveChangesAsync(cancellationToken);
            return SessionResponse.From(session);
        }

        /// A battle's pair by the catalog's battle weights, sides already swapped at random; the seed reproduces it.
        private async Task<BattleDraw?> DrawAsync(CancellationToken cancellationToken)
        {
            var models = await mediator.Send(new ListCatalogModels(), cancellationToken);
            var seed = RandomNumberGenerator.GetInt32(int.MaxValue);
            var pair = BattlePairing.Draw([.. models.Select(m => new BattleCandidate(m.Id, m.Provider, m.BattleWeight))], seed, battles.Value.DistinctProviders);
            return pair is { } drawn ? new BattleDraw(drawn.A, drawn.B, seed) : null;
        }

        private sealed record BattleDraw(string ModelA, string ModelB, int Seed);
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", async Task<Created<SessionResponse>> (CreateSessionRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
            {
                var session = await mediator.Send(new Command(Owner.Id(user), body.Mode, body.ModelA, body.ModelB, body.Title, body.Models), cancellationToken);
                return TypedResults.Created($"/api/sessions/{session.Id}", session);
            })
            .WithName("CreateSession")
            .WithSummary("Starts a chat session with one model (direct), two to four (compare) or two the server draws and hides until the vote (battle).")
            .ProducesValidationProblem()
            .WithRequestExample("""{"mode": "compare", "model_a": "mock-swift", "model_b": "mock-sage", "title": "First try"}""")
            .WithResponseExample(StatusCodes.Status201Created, SessionResponse.Example);
}
