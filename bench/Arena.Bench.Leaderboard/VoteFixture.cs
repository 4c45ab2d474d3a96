using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Arena.Bench.Leaderboard;

/// Counted anonymous battle votes simulated from a Bradley–Terry model with a length effect, written straight into
/// votes.votes with binary COPY, shaped as the Votes migrations (CreateVotes, AddCompareParticipants) store a vote cast
/// through the API. The bench's own fixture: the Host reads it only through the leaderboard's grouped query.
internal static class VoteFixture
{
    /// The log-odds a reply of the whole length difference (one side silent) adds to winning.
    public const double LengthEffect = 0.3;

    private const int Judges = 1_000;

    private static readonly string[] WinnerNames = ["a", "b", "tie", "both_bad"];

    public static string ModelName(int index) => $"bench-model-{index:000}";

    public static async Task SeedAsync(string connectionString, int votes, int models, DateTimeOffset now)
    {
        var random = new Random(1);
        var strengths = Enumerable.Range(0, models).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
        var names = Enumerable.Range(0, models).Select(ModelName).ToArray();
        var owners = Enumerable.Range(0, Judges).Select(j => $"bench-judge-{j:0000}").ToArray();
        var hashes = owners.Select(o => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(o)))).ToArray();

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY votes.votes (id, session_id, owner_id, judge_hash, model_a, model_b, winner, anonymous, validity, turns, sides, " +
            "output_tokens_a, output_tokens_b, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var v = 0; v < votes; v++)
            {
                var i = random.Next(models);
                var j = random.Next(models - 1);
                j += j >= i ? 1 : 0;
                // Normalised output-length differences (a − b)/(a + b) spread over [−1, 1].
                var difference = Math.Clamp((random.NextDouble() + random.NextDouble() - 1) * 1.2, -1, 1);
                var total = 100 + random.Next(1_900);
                var tokensA = (long)Math.Round(total * (1 + difference) / 2);
                var tokensB = total - tokensA;
                var p = 1 / (1 + Math.Exp(-(strengths[i] - strengths[j] + (LengthEffect * difference))));
                var u = random.NextDouble();
                var winner = u < 0.05 ? 2 : u < 0.1 ? 3 : u < 0.1 + (0.9 * p) ? 0 : 1;
                var judge = random.Next(Judges);

                writer.StartRow();
                writer.Write(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                writer.Write(Guid.NewGuid(), NpgsqlDbType.Uuid);
                writer.Write(owners[judge], NpgsqlDbType.Varchar);
                writer.Write(hashes[judge], NpgsqlDbType.Varchar);
                writer.Write(names[i], NpgsqlDbType.Varchar);
                writer.Write(names[j], NpgsqlDbType.Varchar);
                writer.Write(WinnerNames[winner], NpgsqlDbType.Varchar);
                writer.Write(true, NpgsqlDbType.Boolean);
                writer.Write("counted", NpgsqlDbType.Varchar);
                writer.Write(1, NpgsqlDbType.Integer);
                writer.Write(Sides(random, tokensA, tokensB), NpgsqlDbType.Jsonb);
                writer.Write(tokensA, NpgsqlDbType.Bigint);
                writer.Write(tokensB, NpgsqlDbType.Bigint);
                writer.Write(now.AddSeconds(-random.Next(30 * 24 * 3600)), NpgsqlDbType.TimestampTz);
            }

            await writer.CompleteAsync();
        }

        // Sets the rows' hint bits and statistics now, so that no measured refresh pays for the first scan after the load.
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) votes.votes", connection);
        vacuum.CommandTimeout = 0;
        await vacuum.ExecuteNonQueryAsync();
    }

    /// One turn, both sides succeeded, as CastVote stores it.
    private static string Sides(Random random, long tokensA, long tokensB)
    {
        var ttftA = 100 + random.Next(800);
        var ttftB = 100 + random.Next(800);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{{\"a\":{{\"status\":\"success\",\"ttft_ms\":{ttftA},\"duration_ms\":{ttftA + (tokensA * 20)},\"output_tokens\":{tokensA}}}," +
            $"\"b\":{{\"status\":\"success\",\"ttft_ms\":{ttftB},\"duration_ms\":{ttftB + (tokensB * 20)},\"output_tokens\":{tokensB}}}}}]");
    }
}
