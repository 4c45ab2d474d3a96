using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arena.Modules.Votes.Domain;
using Arena.Modules.Votes.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Arena.Modules.Votes.Features.Leaderboard;

internal static class GetLeaderboard
{
    internal sealed record Query(int? MinVotes, string? Control, string? Since) : IQuery<Answer>;

    /// The stored snapshot; or, with none yet, how long until it will be (<see cref="Refused"/>: not accepted for
    /// computation, ask again then).
    internal sealed record Answer(LeaderboardDocument? Document, TimeSpan RetryAfter, bool Refused = false);

    internal sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.MinVotes).GreaterThanOrEqualTo(0);
            RuleFor(q => q.Control).Must(c => c is null or "none" or "length").WithMessage("'control' must be none or length.");
            RuleFor(q => q.Since).Must(s => s is null || TryParseDay(s, out _)).WithMessage("'since' must be a date such as 2026-01-31.");
        }
    }

    /// Answers the stored snapshot, or how long until the refresher will have computed it. A start date not stored yet
    /// takes the place of the one asked for least recently once <see cref="LeaderboardOptions.MaxSinceSnapshots"/> are
    /// stored, unless every one of them was asked for or computed within <see cref="LeaderboardOptions.SinceSnapshotMinimumLife"/>.
    internal sealed class Handler(VotesDbContext db, LeaderboardSignal signal, IOptions<LeaderboardOptions> options, TimeProvider clock) : IQueryHandler<Query, Answer>
    {
        // A reader's visit is written at most this often: recent enough to order the stored dates by use and keep one
        // in use from giving way, rare enough to keep reads nearly free of writes.
        private static readonly TimeSpan VisitResolution = TimeSpan.FromSeconds(10);

        public async ValueTask<Answer> Handle(Query query, CancellationToken cancellationToken)
        {
            DateOnly? since = query.Since is not null && TryParseDay(query.Since, out var day) ? day : null;
            var key = new LeaderboardKey(query.Control == "length", since);
            var now = clock.GetUtcNow();
            var snapshot = await db.LeaderboardSnapshots.FirstOrDefaultAsync(s => s.Key == key.ToString(), cancellationToken);
            if (snapshot is null)
            {
                if (await AdmitAsync(key, now, cancellationToken) is { } refusal)
                {
                    return new Answer(null, refusal, Refused: true);
                }

                signal.Requested();
                return new Answer(null, await WaitAsync(key.ToString(), now, cancellationToken));
            }

            if (snapshot.Body is null)
            {
                signal.Requested();
                return new Answer(null, await WaitAsync(snapshot.Key, snapshot.RequestedAt, cancellationToken));
            }

            var resolution = options.Value.SinceSnapshotMinimumLife / 2;
            if (now - snapshot.RequestedAt > (resolution < VisitResolution ? resolution : VisitResolution))
            {
                snapshot.RequestedAt = now;
                await db.SaveChangesAsync(cancellationToken);
            }

            var document = JsonSerializer.Deserialize<LeaderboardDocument>(snapshot.Body, LeaderboardDocument.Json)!;
            return new Answer(query.MinVotes is { } min ? document with { MinVotes = min, Models = [.. document.Models.Where(m => m.Votes >= min)] } : document, TimeSpan.Zero);
        }

        /// Stores the key to be computed, making room if it must; otherwise how long until room can be made.
        private async Task<TimeSpan?> AdmitAsync(LeaderboardKey key, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var settings = options.Value;
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Every instance's admissions queue here, so the count stays within the cap.
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtextextended('votes.leaderboard_snapshots', 0))", cancellationToken);
            if (key.Since is not null)
            {
                var stored = db.LeaderboardSnapshots.Where(s => !LeaderboardKey.AlwaysKeys.Contains(s.Key));
                if (await stored.CountAsync(cancellationToken) >= settings.MaxSinceSnapshots)
                {
                    // One still waiting for its computation never gives way, nor one computed just now, whose reader was
                    // told to come back for it.
                    var oldest = await stored.Where(s => s.Body != null)
                        .Select(s => new { Snapshot = s, LastUse = s.ComputedAt > s.RequestedAt ? s.ComputedAt!.Value : s.RequestedAt })
                        .OrderBy(s => s.LastUse).ThenBy(s => s.Snapshot.Key).FirstOrDefaultAsync(cancellationToken);
                    if (oldest is null)
                    {
                        return settings.MaxSinceSnapshots == 0 ? settings.SinceSnapshotMinimumLife : await WaitAsync(key.ToString(), now, cancellationToken);
                    }

                    var freeAt = oldest.LastUse + settings.SinceSnapshotMinimumLife;
                    if (freeAt > now)
                    {
                        return freeAt - now;
                    }

                    db.LeaderboardSnapshots.Remove(oldest.Snapshot);
                }
            }

            db.LeaderboardSnapshots.Add(new LeaderboardSnapshot { Key = key.ToString(), RequestedAt = now });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another request stored the same key first; the refresher computes it either way.
                db.ChangeTracker.Clear();
            }

            return null;
        }

        /// The refresher computes waiting keys oldest request first: this one waits for those before it and itself.
        private async Task<TimeSpan> WaitAsync(string key, DateTimeOffset requestedAt, CancellationToken cancellationToken)
        {
            var ahead = await db.LeaderboardSnapshots.CountAsync(s => s.Body == null && (s.RequestedAt <= requestedAt || s.Key == key), cancellationToken);
            return TimeSpan.FromSeconds((Math.Max(ahead, 1) * signal.Computation.TotalSeconds) + 0.5);
        }
    }

    private static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    internal static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/leaderboard", async Task<Results<Ok<LeaderboardDocument>, Accepted<LeaderboardComputing>, ProblemHttpResult>> (
                HttpResponse response, IMediator mediator, CancellationToken cancellationToken, int? min_votes, string? control, string? since) =>
            {
                var answer = await mediator.Send(new Query(min_votes, control, since), cancellationToken);
                if (answer.Document is { } document)
                {
                    return TypedResults.Ok(document);
                }

                var seconds = Math.Max(1, (int)Math.Ceiling(answer.RetryAfter.TotalSeconds));
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                if (answer.Refused)
                {
                    return TypedResults.Problem(
                        statusCode: StatusCodes.Status503ServiceUnavailable,
                        title: "Too many start dates are in use.",
                        detail: $"Every stored start date is in use, so 'since' cannot take a new one now; ask again after {seconds} s, or use one already computed.");
                }

                return TypedResults.Accepted((string?)null, new LeaderboardComputing("computing"));
            })
            .WithTags("Leaderboard")
            .WithName("GetLeaderboard")
            .WithSummary("Model ratings with 95% intervals, ranks and speed, from the latest stored computation; 202 while the first one runs.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.Responses?.TryGetValue("503", out var refused) == true && refused is OpenApiResponse full)
                {
                    full.Description = "A new since date cannot be stored now: every stored one was asked for or computed within Arena:Leaderboard:SinceSnapshotMinimumLife, or is still being computed. Retry-After says when one can give way.";
                }

                if (operation.Responses?.TryGetValue("202", out var accepted) == true && accepted is OpenApiResponse computing)
                {
                    computing.Description = "The first computation for these parameters is running; ask again after Retry-After seconds, the wait for the computations ahead of it and its own.";
                    computing.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    computing.Headers["Retry-After"] = new OpenApiHeader
                    {
                        Description = "Seconds to wait before asking again.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                    };
                }

                foreach (var parameter in operation.Parameters ?? [])
                {
                    if (parameter is OpenApiParameter { Name: "control" } control)
                    {
                        control.Description = "length: ratings controlled for reply length; none (default): plain ratings.";
                        control.Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Enum = [JsonValue.Create("none"), JsonValue.Create("length")],
                            Default = JsonValue.Create("none"),
                        };
                    }
                    else if (parameter is OpenApiParameter { Name: "since" } since)
                    {
                        since.Description = "Only votes cast on or after this day (UTC).";
                        since.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" };
                    }
                    else if (parameter is OpenApiParameter { Name: "min_votes" } minVotes)
                    {
                        minVotes.Description = "Leave out models with fewer counted votes.";
                    }
                }

                return Task.CompletedTask;
            });

    /// The 202 body while the first computation for the asked parameters runs.
    internal sealed record LeaderboardComputing([property: Description("Always computing.")] string Status);
}
