using System.Net;
using Npgsql;

namespace Arena.Tests.Modules.Votes;

public sealed class VoteIntegrityTests(VotesApp app) : IClassFixture<VotesApp>
{
    [Fact]
    public async Task Vote_ConcurrentVotesPastTheDailyLimit_CountOnlyUpToTheLimit()
    {
        using var lena = app.As("lena-concurrent");
        var sessions = new List<Guid>();
        for (var i = 0; i < VotesApp.DailyLimit + 2; i++)
        {
            var id = (await VotesApp.CreateBattleAsync(lena)).GetProperty("id").GetGuid();
            await VotesApp.PromptAsync(lena, id, $"Question {i}");
            sessions.Add(id);
        }

        var responses = await Task.WhenAll(sessions.Select(id => VotesApp.VoteAsync(lena, id, "a")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var reasons = await Task.WhenAll(responses.Select(async r => (await VotesApp.JsonAsync(r)).GetProperty("void_reason").GetString()));
        Assert.Equal(VotesApp.DailyLimit, reasons.Count(r => r is null));
        Assert.Equal(2, reasons.Count(r => r == "daily_limit"));
    }

    [Fact]
    public async Task Vote_RepeatedAfterTheRevealWasLost_RevealsTheBattle()
    {
        using var mona = app.As("mona-reveal");
        var id = (await VotesApp.CreateBattleAsync(mona)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(mona, id, "Hello there");
        Assert.Equal(HttpStatusCode.OK, (await VotesApp.VoteAsync(mona, id, "a")).StatusCode);
        // The state a reveal that failed after the vote was stored leaves behind.
        await using (var connection = new NpgsqlConnection(app.ConnectionString))
        {
            await connection.OpenAsync();
            await using var hide = new NpgsqlCommand("UPDATE sessions.sessions SET revealed_at = NULL WHERE id = @id", connection);
            hide.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await hide.ExecuteNonQueryAsync());
        }

        Assert.False((await VotesApp.JsonAsync(await mona.GetAsync($"/api/sessions/{id}"))).TryGetProperty("model_a", out _));

        var repeated = await VotesApp.VoteAsync(mona, id, "a");

        Assert.Equal(HttpStatusCode.Conflict, repeated.StatusCode);
        var session = await VotesApp.JsonAsync(await mona.GetAsync($"/api/sessions/{id}"));
        Assert.True(session.TryGetProperty("model_a", out _), session.GetRawText());
        Assert.True(session.TryGetProperty("revealed_at", out _));
    }
}
