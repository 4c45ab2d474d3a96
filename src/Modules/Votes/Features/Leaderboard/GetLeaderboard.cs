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
using Microsoft.OpenApi;

namespace Arena.Modules.Votes.Features.Leaderboard;

internal static class GetLeaderboard
{
    internal sealed record Query(int? MinVotes, string? Control, string? Since) : IQuery<LeaderboardDocument?>;

    internal sealed class Validator : AbstractValidator<Query>
    {
        public Validator()
        {
            RuleFor(q => q.MinVotes).GreaterThanOrEqualTo(0);
            RuleFor(q => q.Control).Must(c => c is null or "none" or "length").WithMessage("'control' must be none or length.");
            RuleFor(q => q.Since).Must(s => s is null || TryParseDay(s, out _)).WithMessage("'since' must be a date such as 2026-01-31.");
        }
    }

    /// Answers the stored snapshot, or <c>null</c> while the first one for this key is being computed.
    internal sealed class Handler(VotesDbContext db, LeaderboardSignal signal, TimeProvider clock) : IQueryHandler<Query, LeaderboardDocument?>
    {
        public async ValueTask<LeaderboardDocument?> Handle(Query query, CancellationToken cancellationToken)
        {
            DateOnly? since = query.Since is not null && TryParseDay(query.Since, out var day) ? day : null;
            var key = new LeaderboardKey(query.Control == "length", since).ToString();
            var now = clock.GetUtcNow();
            var snapshot = await db.LeaderboardSnapshots.FirstOrDefaultAsync(s => s.Key == key, cancellationToken);
            if (snapshot is null)
            {
                db.LeaderboardSnapshots.Add(new LeaderboardSnapshot { Key = key, RequestedAt = now });
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException)
                {
                    // Another request asked for the same key first; the refresher computes it either way.
                }

                signal.VotesChanged();
                return null;
            }

            // Reads keep a start date fresh; recording that once an hour is enough and keeps reads free of writes.
            if (now - snapshot.RequestedAt > TimeSpan.FromHours(1))
            {
                snapshot.RequestedAt = now;
                await db.SaveChangesAsync(cancellationToken);
            }

            if (snapshot.Body is null)
            {
                return null;
            }

            var document = JsonSerializer.Deserialize<LeaderboardDocument>(snapshot.Body, LeaderboardDocument.Json)!;
            return query.MinVotes is { } min ? document with { MinVotes = min, Models = [.. document.Models.Where(m => m.Votes >= min)] } : document;
        }
    }

    private static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    internal static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/leaderboard", async Task<Results<Ok<LeaderboardDocument>, Accepted<LeaderboardComputing>>> (
                HttpResponse response, IMediator mediator, CancellationToken cancellationToken, int? min_votes, string? control, string? since) =>
            {
                if (await mediator.Send(new Query(min_votes, control, since), cancellationToken) is { } document)
                {
                    return TypedResults.Ok(document);
                }

                response.Headers.RetryAfter = "2";
                return TypedResults.Accepted((string?)null, new LeaderboardComputing("computing"));
            })
            .WithTags("Leaderboard")
            .WithName("GetLeaderboard")
            .WithSummary("Model ratings with 95% intervals, ranks and speed, from the latest stored computation; 202 while the first one runs.")
            .ProducesValidationProblem()
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.Responses?.TryGetValue("202", out var accepted) == true && accepted is OpenApiResponse computing)
                {
                    computing.Description = "The first computation for these parameters is running; ask again after Retry-After seconds.";
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
