using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Arena.Modules.Messaging.Contracts;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Votes.Domain;
using Arena.Modules.Votes.Features.Leaderboard;
using Arena.Modules.Votes.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Npgsql;

namespace Arena.Modules.Votes.Features;

internal static partial class CastVote
{
    /// Winner stays nullable so that a missing one reaches the validator, which names it.
    internal sealed record CastVoteRequest(
        [property: Required, Description("a: participant a's replies were the best; b, c, d: that participant's (c and d only in a compare of three or four models); tie: as good as each other; both_bad: neither of two was good; all_bad: none was good (of two, the same as both_bad).")] Winner? Winner);

    internal sealed record Command(string OwnerId, Guid SessionId, string? Winner) : ICommand<Outcome?>;

    /// What the vote revealed and whether it counts; <see cref="VoidReason"/> says why not.
    internal sealed record VoteResult(
        Guid Id,
        Guid SessionId,
        [property: AllowedValues("a", "b", "c", "d", "tie", "both_bad", "all_bad")] string Winner,
        string ModelA,
        string ModelB,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Participant c's model, in a compare of three or four models; absent otherwise.")] string? ModelC,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Participant d's model, in a compare of four models; absent otherwise.")] string? ModelD,
        bool Anonymous,
        bool Counted,
        [property: AllowedValues("not_anonymous", "side_failed", "identity_leak", "too_fast", "daily_limit")] string? VoidReason,
        DateTimeOffset CreatedAt);

    internal sealed record Outcome(VoteResult? Vote, string? Conflict);

    internal sealed class Validator : AbstractValidator<Command>
    {
        public Validator() =>
            RuleFor(c => c.Winner).NotEmpty().Must(w => w is "a" or "b" or "c" or "d" or "tie" or "both_bad" or "all_bad")
                .WithMessage("'winner' must be one of a, b, c, d, tie, both_bad, all_bad.");
    }

    internal sealed class Handler(
        VotesDbContext db,
        IMediator mediator,
        JudgeHash judges,
        LeaderboardSignal leaderboard,
        IOptions<BattlesOptions> options,
        TimeProvider clock,
        ILogger<Handler> logger) : ICommandHandler<Command, Outcome?>
    {
        /// First key of the advisory lock that serialises one judge's votes; the second is a hash of the judge.
        private const int DailyLimitLock = 0x766f7465;

        public async ValueTask<Outcome?> Handle(Command command, CancellationToken cancellationToken)
        {
            var session = await mediator.Send(new FindSession(command.SessionId, command.OwnerId), cancellationToken);
            if (session is null)
            {
                return null;
            }

            if (session is not { Mode: SessionKind.Compare, ModelB: { } modelB })
            {
                return new Outcome(null, "Only battle and compare sessions can be voted on.");
            }

            var winner = WinnerIn(session, command.Winner!);
            if (await db.Votes.AnyAsync(v => v.SessionId == session.Id, cancellationToken))
            {
                // A vote stored before its reveal failed (the process stopped, the database went away) leaves the battle
                // hidden; the client's retry lands here, so this is where it is put right.
                await RevealAsync(session, command.OwnerId, clock.GetUtcNow());
                return new Outcome(null, "This session has already been voted on.");
            }

            // Until the vote is stored no turn of the session can start, so the turns it is judged on are all there are:
            // a turn that started first shows as streaming and blocks it, one sent meanwhile starts after it.
            await using var turnsHeld = await mediator.Send(new HoldTurnStarts(session.Id), cancellationToken);
            var replies = await mediator.Send(new ListSessionReplies(session.Id), cancellationToken);
            var turns = Turns(replies, session);
            var blocker = VoteRules.Blocker([.. turns.Select(t => t.Outcome)], replies.Any(r => r.Status == VoteRules.Streaming));
            if (blocker is not null)
            {
                return new Outcome(null, blocker);
            }

            var settings = options.Value;
            var now = clock.GetUtcNow();
            var leaked = session.Battle && await LeaksIdentityAsync(session.ModelA, modelB, turns, cancellationToken);
            var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);

            // The judge's votes are counted and the new one stored under a per-judge transaction lock, so two concurrent
            // votes past the daily limit cannot both see room for one more.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({DailyLimitLock}, hashtext({command.OwnerId}))", cancellationToken);
            var earlierToday = await db.Votes.CountAsync(v => v.OwnerId == command.OwnerId && v.CreatedAt >= dayStart, cancellationToken);
            var validity = VoteRules.Decide(new VoteFacts(
                session.Battle, [.. turns.Select(t => t.Outcome)], leaked, earlierToday, settings.MaxVotesPerUserPerDay, now, settings.MinReadingTime));

            var vote = new Vote
            {
                Id = Guid.CreateVersion7(now),
                SessionId = session.Id,
                OwnerId = command.OwnerId,
                JudgeHash = judges.Of(command.OwnerId),
                ModelA = session.ModelA,
                ModelB = modelB,
                ModelC = session.Models.ElementAtOrDefault(2),
                ModelD = session.Models.ElementAtOrDefault(3),
                Winner = winner,
                Anonymous = session.Battle,
                Validity = validity,
                Turns = turns.Count,
                Sides = JsonSerializer.Serialize(turns.Select(t => t.Stored).ToList(), VoteJson.Options),
                OutputTokensA = turns.Sum(t => t.Outcome.A.OutputTokens ?? 0),
                OutputTokensB = turns.Sum(t => t.Outcome.B.OutputTokens ?? 0),
                CreatedAt = new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero),
            };
            db.Votes.Add(vote);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: Vote.OnePerSessionIndex })
            {
                await RevealAsync(session, command.OwnerId, now);
                return new Outcome(null, "This session has already been voted on.");
            }

            await RevealAsync(session, command.OwnerId, now);

            if (validity == Validity.Counted)
            {
                leaderboard.VotesChanged();
            }

            return new Outcome(new VoteResult(vote.Id, vote.SessionId, Names.Of(vote.Winner), vote.ModelA, vote.ModelB, vote.ModelC, vote.ModelD, vote.Anonymous,
                validity == Validity.Counted, validity == Validity.Counted ? null : Names.Of(validity), vote.CreatedAt), null);
        }

        /// Once the vote is stored the reveal must happen: not cancelled by a client that leaves, retried once on a
        /// transient failure, and if it still fails, logged and left to the retry of the vote, which reveals again.
        private async Task RevealAsync(SessionInfo session, string ownerId, DateTimeOffset revealedAt)
        {
            if (!session.Battle || session.RevealedAt is not null)
            {
                return;
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await mediator.Send(new RevealBattle(session.Id, ownerId, revealedAt), CancellationToken.None);
                    return;
                }
                catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException)
                {
                    if (attempt == 2)
                    {
                        LogRevealFailed(logger, session.Id, e.Message);
                        return;
                    }
                }
            }
        }

        private async Task<bool> LeaksIdentityAsync(string modelA, string modelB, IReadOnlyList<Turn> turns, CancellationToken cancellationToken)
        {
            // A reply naming either model gives the battle away, whichever side wrote it.
            var words = new List<string>();
            foreach (var id in new[] { modelA, modelB })
            {
                var model = await mediator.Send(new FindModel(id), cancellationToken);
                words.AddRange(IdentityLeak.WordsFor(id, model?.DisplayName ?? id, model?.ProviderKind, model?.IdentityWords));
            }

            return turns.Any(t => IdentityLeak.Contains(t.ContentA, words) || IdentityLeak.Contains(t.ContentB, words));
        }

        /// The winner as stored: a participant the session has, and of two, all_bad said as both_bad; anything else is
        /// refused naming the field.
        private static Winner WinnerIn(SessionInfo session, string name)
        {
            var winner = Names.Parse<Winner>(name);
            var count = session.Models.Count;
            var refusal = winner switch
            {
                Winner.C or Winner.D when (int)winner - (int)Winner.A >= count =>
                    $"'winner' names no participant of this session: it has {string.Join(", ", session.Participants)}.",
                Winner.BothBad when count > 2 => $"'winner' of a compare of {count} models is all_bad, not both_bad.",
                _ => null,
            };
            if (refusal is not null)
            {
                throw new FluentValidation.ValidationException([new FluentValidation.Results.ValidationFailure("winner", refusal)]);
            }

            return winner == Winner.AllBad && count == 2 ? Winner.BothBad : winner;
        }

        /// Turns that ended on every side, in order; a turn missing a side (never started) does not count as one.
        private static List<Turn> Turns(IReadOnlyList<ReplyRecord> replies, SessionInfo session) =>
            [.. replies.GroupBy(r => r.PromptId)
                .Select(g => session.Participants.Select(p => g.FirstOrDefault(r => r.Participant == p)).ToList())
                .Where(sides => sides.All(r => r is not null && r.Status != VoteRules.Streaming))
                .OrderBy(sides => sides[0]!.CreatedAt)
                .Select(sides => new Turn([.. sides.Select(r => Side(r!))], [.. sides.Select(r => r!.Content)]))];

        private static SideOutcome Side(ReplyRecord reply) => new(reply.Status, reply.TtftMs, reply.DurationMs, reply.OutputTokens, reply.UpdatedAt);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revealing battle {SessionId} after its vote failed; a repeated vote reveals it: {Reason}")]
    private static partial void LogRevealFailed(ILogger logger, Guid sessionId, string reason);

    /// One turn's sides, <c>a</c> first; a battle's are always two.
    private sealed record Turn(IReadOnlyList<SideOutcome> Sides, IReadOnlyList<string> Contents)
    {
        public SideOutcome A => Sides[0];

        public SideOutcome B => Sides[1];

        public string ContentA => Contents[0];

        public string ContentB => Contents[1];

        public TurnOutcome Outcome => new(A, B);

        public VoteTurn Stored => new(Keep(A), Keep(B), Sides.Count > 2 ? Keep(Sides[2]) : null, Sides.Count > 3 ? Keep(Sides[3]) : null);

        private static VoteSide Keep(SideOutcome side) => new(side.Status, side.TtftMs, side.DurationMs, side.OutputTokens);
    }

    internal static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/sessions/{id:guid}/vote", async Task<Results<Ok<VoteResult>, NotFound, ProblemHttpResult>> (Guid id, CastVoteRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken) =>
            {
                var winner = body.Winner is { } chosen ? Names.Of(chosen) : null;
                var outcome = await mediator.Send(new Command(user.FindFirstValue("sub")!, id, winner), cancellationToken);
                return outcome switch
                {
                    null => TypedResults.NotFound(),
                    { Vote: { } vote } => TypedResults.Ok(vote),
                    _ => TypedResults.Problem(outcome.Conflict, statusCode: StatusCodes.Status409Conflict),
                };
            })
            .WithTags("Votes")
            .WithName("CastVote")
            .WithSummary("Votes on a battle or compare session once; the answer reveals both models and says whether the vote counts.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.RequestBody?.Content?.TryGetValue("application/json", out var request) == true)
                {
                    request.Example = JsonNode.Parse("""{"winner": "a"}""");
                }

                if (operation.Responses?.TryGetValue("200", out var response) == true && response.Content?.TryGetValue("application/json", out var result) == true)
                {
                    result.Example = JsonNode.Parse(ResultExample);
                }

                if (operation.Responses?.TryGetValue("409", out var conflict) == true && conflict is OpenApiResponse described)
                {
                    described.Description = "The session is not a battle or compare session, was already voted on, or has no finished turn yet (or one still streaming).";
                }

                return Task.CompletedTask;
            });

    private const string ResultExample =
        """
        {"id": "0195a0f2-0000-7000-8000-0000000000aa", "session_id": "0195a0f2-0000-7000-8000-000000000000", "winner": "a",
         "model_a": "mock-swift", "model_b": "mock-sage", "anonymous": true, "counted": true, "void_reason": null,
         "created_at": "2026-01-31T12:00:00+00:00"}
        """;
}

internal static class VoteJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
