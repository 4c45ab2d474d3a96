using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Arena.Modules.Votes.Domain;
using Arena.Modules.Votes.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;

namespace Arena.Modules.Votes.Features;

/// Counted votes as JSON Lines in the layout of FastChat's clean_battle_data.py, so its analysis notebooks read them
/// unchanged, followed by Arena's own fields (prefixed <c>arena_</c>).
internal static class ExportVotes
{
    public const string AdminRole = "arena:admin";

    public const string ContentType = "application/jsonl";

    /// One line of the export.
    internal sealed record ExportedVote(
        [property: JsonPropertyName("question_id")] string QuestionId,
        [property: JsonPropertyName("model_a")] string ModelA,
        [property: JsonPropertyName("model_b")] string ModelB,
        [property: JsonPropertyName("winner"), AllowedValues("model_a", "model_b", "tie", "tie (bothbad)")] string Winner,
        [property: JsonPropertyName("judge")] string Judge,
        [property: JsonPropertyName("turn")] int Turn,
        [property: JsonPropertyName("anony")] bool Anony,
        [property: JsonPropertyName("tstamp")] double Tstamp,
        [property: JsonPropertyName("arena_vote_id")] Guid VoteId,
        [property: JsonPropertyName("arena_validity"), AllowedValues("counted"), Description("Only counted votes are exported.")] string Validity,
        [property: JsonPropertyName("arena_turns"), Description("Each turn's sides as the vote saw them; c and d only in a compare of three or four models.")] IReadOnlyList<VoteTurn> Turns);

    public static string FastChatWinner(Winner winner) => winner switch
    {
        Winner.A => "model_a",
        Winner.B => "model_b",
        Winner.Tie => "tie",
        _ => "tie (bothbad)",
    };

    internal static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/votes/export", async (HttpContext context, VotesDbContext db, CancellationToken cancellationToken) =>
            {
                context.Response.ContentType = ContentType + "; charset=utf-8";
                var votes = db.Votes.AsNoTracking().Where(v => v.Validity == Validity.Counted).OrderBy(v => v.CreatedAt).ThenBy(v => v.Id).AsAsyncEnumerable();
                var written = 0;
                await foreach (var vote in votes.WithCancellation(cancellationToken))
                {
                    var line = new ExportedVote(
                        vote.SessionId.ToString("N"), vote.ModelA, vote.ModelB, FastChatWinner(vote.Winner), vote.JudgeHash, vote.Turns, vote.Anonymous,
                        vote.CreatedAt.ToUnixTimeMilliseconds() / 1000.0, vote.Id, Names.Of(vote.Validity), JsonSerializer.Deserialize<IReadOnlyList<VoteTurn>>(vote.Sides, VoteJson.Options)!);
                    await JsonSerializer.SerializeAsync(context.Response.Body, line, VoteJson.Options, cancellationToken);
                    await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken);
                    if (++written % 500 == 0)
                    {
                        await context.Response.Body.FlushAsync(cancellationToken);
                    }
                }
            })
            .RequireAuthorization(policy => policy.RequireAssertion(c => c.User.HasClaim(claim => claim.Type is "role" or "roles" && claim.Value == AdminRole)))
            .WithTags("Votes")
            .WithName("ExportVotes")
            .WithSummary("Streams the counted votes as JSON Lines in FastChat's clean_battle_data layout, plus Arena's fields; needs the arena:admin role.")
            .Produces<ExportedVote>(StatusCodes.Status200OK, ContentType)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.Responses?.TryGetValue("200", out var lines) == true && lines is OpenApiResponse described)
                {
                    described.Description = "JSON Lines: one ExportedVote object per line, oldest vote first; no line at all when nothing is counted yet.";
                }

                if (operation.Responses?.TryGetValue("403", out var forbidden) == true && forbidden is OpenApiResponse refused)
                {
                    refused.Description = "The token lacks the arena:admin role.";
                }

                return Task.CompletedTask;
            });
}
