using System.Net;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Modules.Votes;

/// The votes tests' Host with the Votes module's connections through a fault proxy, which the race tests slow down so
/// that a vote's statements stretch over the time a racing turn needs to start; start dates give way after five seconds.
public sealed class SlowVotesApp : VotesApp, IAsyncLifetime
{
    public FaultProxy Proxy { get; private set; } = null!;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        Proxy = FaultProxy.Start(ConnectionString);
        settings["ConnectionStrings:Votes"] = Proxy.Through(ConnectionString);
        settings["Arena:Leaderboard:SinceSnapshotMinimumLife"] = "00:00:05";
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}

public sealed class VoteRaceTests(SlowVotesApp app) : IClassFixture<SlowVotesApp>
{
    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Vote_RacingASecondTurn_NeverCountsATurnItDidNotSee(string pipeline)
    {
        var counted = 0;
        for (var i = 0; i < 12; i++)
        {
            // A judge of its own each time: a judge's counted votes a day are limited.
            using var client = app.As($"race-vote-{pipeline}-{i}");
            var session = (await VotesApp.CreateBattleAsync(client)).GetProperty("id").GetGuid();
            await VotesApp.PromptAsync(client, session, "First turn");

            app.Proxy.Latency = TimeSpan.FromMilliseconds(4);
            try
            {
                var vote = VotesApp.VoteAsync(client, session, "a");
                // Spread over the vote's statements, the slowed ones included.
                await Task.Delay(i * 5);
                var (turn, _) = await MessagingApp.StreamAsync(client, session, "Second turn", pipeline: pipeline);
                using var voted = await vote;
                Assert.Equal(HttpStatusCode.OK, turn.StatusCode);
                if (voted.StatusCode == HttpStatusCode.OK && (await VotesApp.JsonAsync(voted)).GetProperty("counted").GetBoolean())
                {
                    counted++;
                }
                else
                {
                    await ProblemAssert.IsProblem(voted, HttpStatusCode.Conflict);
                }
            }
            finally
            {
                app.Proxy.Latency = TimeSpan.Zero;
            }

            // Transaction ids order the writes: every turn whose user message was written before the vote must be one of
            // the turns the vote was judged on.
            var (turns, before) = await TurnsSeenAsync(session);
            Assert.True(turns is null || turns == before, $"iteration {i}: the vote counts {turns} turns, {before} had started before it");
        }

        Assert.True(counted > 0, "no vote was accepted, so the race was never run to its end");
    }

    [Fact]
    public async Task Leaderboard_FortyNewStartDates_AreEachComputedOrRefusedWithATrueRetryAfter()
    {
        using var client = app.As("race-leaderboard");
        var firstDay = new DateOnly(2020, 1, 1);
        var asks = Enumerable.Range(0, 40).Select(i => AskUntilComputedAsync(client, firstDay.AddDays(i))).ToList();
        var outcomes = await Task.WhenAll(asks);

        // Sixteen stored at most: the rest were refused until the first ones could give way, then computed.
        Assert.All(outcomes, o => Assert.Equal(HttpStatusCode.OK, o.Last));
        Assert.Contains(outcomes, o => o.Refusals > 0);
        Assert.InRange(await CountAsync("SELECT count(*) FROM votes.leaderboard_snapshots WHERE key NOT LIKE '%|*'"), 1, 16);
    }

    /// Asks as a client following Retry-After would; a 202 must be followed by the ratings at the next ask after its wait.
    private static async Task<(HttpStatusCode Last, int Refusals)> AskUntilComputedAsync(HttpClient client, DateOnly since)
    {
        var url = $"/api/leaderboard?since={since:yyyy-MM-dd}";
        var refusals = 0;
        var waited = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(url);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return (HttpStatusCode.OK, refusals);
            }

            Assert.False(waited, $"{since}: a 202's Retry-After was not enough");
            var retryAfter = response.Headers.RetryAfter?.Delta;
            Assert.NotNull(retryAfter);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                waited = true;
            }
            else
            {
                await ProblemAssert.IsProblem(response, HttpStatusCode.ServiceUnavailable);
                refusals++;
            }

            // A margin for a loaded machine, small against the waits it checks.
            await Task.Delay(retryAfter.Value + TimeSpan.FromMilliseconds(500));
        }

        return (HttpStatusCode.RequestTimeout, refusals);
    }

    private async Task<(long? Turns, long Before)> TurnsSeenAsync(Guid session)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT v.turns, (SELECT count(*) FROM messaging.messages m WHERE m.session_id = v.session_id AND m.role = 'user' " +
            "AND m.xmin::text::bigint < v.xmin::text::bigint) FROM votes.votes v WHERE v.session_id = @session AND v.validity = 'counted'",
            connection);
        command.Parameters.AddWithValue("session", session);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetInt64(1)) : (null, 0);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
