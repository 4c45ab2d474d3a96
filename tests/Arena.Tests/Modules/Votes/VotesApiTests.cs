using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Votes;

public sealed class VotesApiTests(VotesApp app) : IClassFixture<VotesApp>
{
    private static readonly string[] BattleModels = ["battle-one", "battle-two"];

    [Fact]
    public async Task Battle_StreamedAndVoted_HidesModelsUntilTheVoteThenRevealsAndCounts()
    {
        using var alice = app.As("alice-battle");
        var created = await VotesApp.CreateBattleAsync(alice);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("battle", created.GetProperty("mode").GetString());
        app.AssertNamesNone(created.GetRawText(), "the created session");

        await VotesApp.PromptAsync(alice, id, "Which bird is fastest?");
        app.AssertNamesNone(await alice.GetStringAsync($"/api/sessions/{id}"), "the session");
        app.AssertNamesNone(await alice.GetStringAsync("/api/sessions"), "the session list");

        var voted = await VotesApp.VoteAsync(alice, id, "a");

        Assert.Equal(HttpStatusCode.OK, voted.StatusCode);
        var vote = await VotesApp.JsonAsync(voted);
        Assert.True(vote.GetProperty("counted").GetBoolean(), vote.GetRawText());
        Assert.Equal(JsonValueKind.Null, vote.GetProperty("void_reason").ValueKind);
        Assert.True(vote.GetProperty("anonymous").GetBoolean());
        var pair = new[] { vote.GetProperty("model_a").GetString(), vote.GetProperty("model_b").GetString() };
        Assert.Equal(BattleModels, pair.Order());
        var revealed = await VotesApp.JsonAsync(await alice.GetAsync($"/api/sessions/{id}"));
        Assert.Equal(pair[0], revealed.GetProperty("model_a").GetString());
        Assert.Equal(pair[1], revealed.GetProperty("model_b").GetString());
        Assert.True(revealed.TryGetProperty("revealed_at", out _));
    }

    [Fact]
    public async Task CreateSession_BattleNamingAModel_IsRefused()
    {
        using var alice = app.As("alice-battle-choose");

        var response = await alice.PostAsJsonAsync("/api/sessions", new { mode = "battle", model_a = "battle-one" });

        await ProblemAssert.NamesFields(response, "model_a");
    }

    [Fact]
    public async Task Vote_Twice_SecondIsConflict()
    {
        using var bob = app.As("bob-twice");
        var id = (await VotesApp.CreateBattleAsync(bob)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(bob, id, "Hello there");

        Assert.Equal(HttpStatusCode.OK, (await VotesApp.VoteAsync(bob, id, "tie")).StatusCode);
        await ProblemAssert.IsProblem(await VotesApp.VoteAsync(bob, id, "b"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Vote_AnotherUsersBattle_IsNotFound()
    {
        using var owner = app.As("carol-owner");
        using var stranger = app.As("dave-stranger");
        var id = (await VotesApp.CreateBattleAsync(owner)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(owner, id, "Hello there");

        await ProblemAssert.IsProblem(await VotesApp.VoteAsync(stranger, id, "a"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblem(await VotesApp.VoteAsync(stranger, Guid.NewGuid(), "a"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await VotesApp.VoteAsync(owner, id, "a")).StatusCode);
    }

    [Fact]
    public async Task Vote_BeforeAnyReply_IsConflictAndBadWinnerNamesTheField()
    {
        using var erin = app.As("erin-early");
        var id = (await VotesApp.CreateBattleAsync(erin)).GetProperty("id").GetGuid();

        await ProblemAssert.NamesFields(await VotesApp.VoteAsync(erin, id, "left"), "winner");
        // The names exactly as the API spells them, not in another letter case or padded.
        await ProblemAssert.NamesFields(await VotesApp.VoteAsync(erin, id, "A"), "winner");
        await ProblemAssert.NamesFields(await VotesApp.VoteAsync(erin, id, " tie"), "winner");
        await ProblemAssert.IsProblem(await VotesApp.VoteAsync(erin, id, "a"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Vote_ReplyNamingItsModel_IsVoidIdentityLeak()
    {
        using var frank = app.As("frank-leak");
        var id = (await VotesApp.CreateBattleAsync(frank)).GetProperty("id").GetGuid();
        // The marker makes the mock open its reply with its model id, a default identity word.
        await VotesApp.PromptAsync(frank, id, "Who are you? [mock:identify]");

        var vote = await VotesApp.JsonAsync(await VotesApp.VoteAsync(frank, id, "b"));

        Assert.False(vote.GetProperty("counted").GetBoolean());
        Assert.Equal("identity_leak", vote.GetProperty("void_reason").GetString());
    }

    [Fact]
    public async Task Vote_PastTheDailyLimit_IsVoidDailyLimit()
    {
        using var gina = app.As("gina-limit");
        var reasons = new List<string?>();
        for (var i = 0; i <= VotesApp.DailyLimit; i++)
        {
            var id = (await VotesApp.CreateBattleAsync(gina)).GetProperty("id").GetGuid();
            await VotesApp.PromptAsync(gina, id, $"Question {i}");
            reasons.Add((await VotesApp.JsonAsync(await VotesApp.VoteAsync(gina, id, "a"))).GetProperty("void_reason").GetString());
        }

        Assert.Equal([.. Enumerable.Repeat<string?>(null, VotesApp.DailyLimit), "daily_limit"], reasons);
    }

    [Fact]
    public async Task Vote_CompareSession_RevealsNothingNewAndNeverCounts()
    {
        using var hank = app.As("hank-compare");
        var created = await hank.PostAsJsonAsync("/api/sessions", new { mode = "compare", model_a = "battle-one", model_b = "battle-two" });
        var id = (await VotesApp.JsonAsync(created)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(hank, id, "Hello there");

        var vote = await VotesApp.JsonAsync(await VotesApp.VoteAsync(hank, id, "both_bad"));

        Assert.False(vote.GetProperty("anonymous").GetBoolean());
        Assert.Equal("not_anonymous", vote.GetProperty("void_reason").GetString());
    }

    [Fact]
    public async Task Vote_CompareOfFour_NamesAnyParticipantAndNeverCounts()
    {
        using var iris = app.As("iris-compare-four");
        var created = await iris.PostAsJsonAsync("/api/sessions", new { mode = "compare", models = new[] { "battle-one", "battle-two", "battle-one", "mock-echo" } });
        var id = (await VotesApp.JsonAsync(created)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(iris, id, "Four of you", participants: 4);

        await ProblemAssert.NamesFields(await VotesApp.VoteAsync(iris, id, "both_bad"), "winner");
        await ProblemAssert.NamesFields(await VotesApp.VoteAsync(iris, id, "e"), "winner");
        var vote = await VotesApp.JsonAsync(await VotesApp.VoteAsync(iris, id, "c"));

        Assert.Equal("c", vote.GetProperty("winner").GetString());
        Assert.Equal(["battle-one", "battle-two", "battle-one", "mock-echo"], new[] { "model_a", "model_b", "model_c", "model_d" }.Select(f => vote.GetProperty(f).GetString()));
        Assert.False(vote.GetProperty("anonymous").GetBoolean());
        Assert.False(vote.GetProperty("counted").GetBoolean());
        Assert.Equal("not_anonymous", vote.GetProperty("void_reason").GetString());
    }

    [Theory]
    [InlineData(3, "d", null)]
    [InlineData(3, "all_bad", "all_bad")]
    [InlineData(2, "c", null)]
    [InlineData(2, "all_bad", "both_bad")]
    public async Task Vote_CompareWinnerBeyondItsParticipants_ProblemNamesWinnerElseStoredAsSaid(int models, string winner, string? stored)
    {
        using var jade = app.As($"jade-compare-{models}-{winner}");
        var created = await jade.PostAsJsonAsync("/api/sessions", new { mode = "compare", models = new[] { "battle-one", "battle-two", "mock-echo" }.Take(models) });
        var id = (await VotesApp.JsonAsync(created)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(jade, id, "Which of you?", participants: models);

        var response = await VotesApp.VoteAsync(jade, id, winner);

        if (stored is null)
        {
            await ProblemAssert.NamesFields(response, "winner");
            Assert.Equal(HttpStatusCode.OK, (await VotesApp.VoteAsync(jade, id, "tie")).StatusCode);
        }
        else
        {
            Assert.Equal(stored, (await VotesApp.JsonAsync(response)).GetProperty("winner").GetString());
            Assert.False((await VotesApp.JsonAsync(response)).TryGetProperty("model_d", out _));
        }
    }

    [Fact]
    public async Task Export_CountedVotes_FastChatLayoutForAdminsOnly()
    {
        using var ivy = app.As("ivy-export");
        var id = (await VotesApp.CreateBattleAsync(ivy)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(ivy, id, "Hello there");
        var vote = await VotesApp.JsonAsync(await VotesApp.VoteAsync(ivy, id, "both_bad"));
        Assert.True(vote.GetProperty("counted").GetBoolean());

        Assert.Equal(HttpStatusCode.Forbidden, (await ivy.GetAsync("/api/votes/export")).StatusCode);
        using var admin = app.Admin("root-export");
        var response = await admin.GetAsync("/api/votes/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jsonl", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.Equal("counted", l.GetProperty("arena_validity").GetString()));
        var line = lines.Single(l => l.GetProperty("arena_vote_id").GetGuid() == vote.GetProperty("id").GetGuid());
        Assert.Equal(
            ["question_id", "model_a", "model_b", "winner", "judge", "turn", "anony", "tstamp", "arena_vote_id", "arena_validity", "arena_turns"],
            line.EnumerateObject().Select(p => p.Name));
        Assert.Equal("tie (bothbad)", line.GetProperty("winner").GetString());
        Assert.Equal(vote.GetProperty("model_a").GetString(), line.GetProperty("model_a").GetString());
        Assert.True(line.GetProperty("anony").GetBoolean());
        Assert.Equal(1, line.GetProperty("turn").GetInt32());
        Assert.Equal(64, line.GetProperty("judge").GetString()!.Length);
        Assert.DoesNotContain("ivy-export", line.GetRawText(), StringComparison.Ordinal);
        var side = line.GetProperty("arena_turns")[0].GetProperty("a");
        Assert.Equal("success", side.GetProperty("status").GetString());
        Assert.True(side.GetProperty("output_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task Leaderboard_AfterCountedVotes_RatesBothModelsWithSpeed()
    {
        using var jack = app.As("jack-leaderboard");
        for (var i = 0; i < 2; i++)
        {
            var id = (await VotesApp.CreateBattleAsync(jack)).GetProperty("id").GetGuid();
            await VotesApp.PromptAsync(jack, id, $"Round {i}");
            Assert.True((await VotesApp.JsonAsync(await VotesApp.VoteAsync(jack, id, "a"))).GetProperty("counted").GetBoolean());
        }

        await ProblemAssert.NamesFields(await jack.GetAsync("/api/leaderboard?control=style"), "control");
        var board = await Eventually.UntilAsync(
            async () =>
            {
                var response = await jack.GetAsync("/api/leaderboard?control=length&min_votes=1");
                return response.StatusCode == HttpStatusCode.OK ? await VotesApp.JsonAsync(response) : default;
            },
            seen => seen.ValueKind == JsonValueKind.Object && seen.GetProperty("models").GetArrayLength() == 2 && seen.GetProperty("counted_votes").GetInt64() >= 2,
            seen => $"the leaderboard never rated both models: {seen}",
            TimeSpan.FromSeconds(60));

        Assert.Equal("length", board.GetProperty("control").GetString());
        Assert.True(board.TryGetProperty("length_coefficient", out _));
        Assert.Contains("1000 + 400/ln(10)", board.GetProperty("anchoring").GetString(), StringComparison.Ordinal);
        var rows = board.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(BattleModels, rows.Select(r => r.GetProperty("model").GetString()).Order());
        foreach (var row in rows)
        {
            Assert.InRange(row.GetProperty("rating").GetDouble(), row.GetProperty("rating_lower").GetDouble(), row.GetProperty("rating_upper").GetDouble());
            Assert.Equal(row.GetProperty("votes").GetInt64(), row.GetProperty("wins").GetInt64() + row.GetProperty("ties").GetInt64() + row.GetProperty("losses").GetInt64());
            var speed = row.GetProperty("speed");
            Assert.True(speed.GetProperty("replies").GetInt64() >= 1);
            Assert.True(speed.GetProperty("ttft_median_ms").GetDouble() >= 0);
            Assert.Equal(0, speed.GetProperty("error_rate").GetDouble());
        }
    }
}

public sealed class FailedBattleTests(FailingBattleApp app) : IClassFixture<FailingBattleApp>
{
    [Fact]
    public async Task Vote_OneSideFailed_IsVoidSideFailed()
    {
        using var kim = app.As("kim-failed");
        var id = (await VotesApp.CreateBattleAsync(kim)).GetProperty("id").GetGuid();
        await VotesApp.PromptAsync(kim, id, "Hello there");

        var vote = await VotesApp.JsonAsync(await VotesApp.VoteAsync(kim, id, "a"));

        Assert.False(vote.GetProperty("counted").GetBoolean());
        Assert.Equal("side_failed", vote.GetProperty("void_reason").GetString());
        Assert.Equal(["battle-broken", "battle-one"], new[] { vote.GetProperty("model_a").GetString(), vote.GetProperty("model_b").GetString() }.Order());
    }
}
