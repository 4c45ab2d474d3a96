using System.Net;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;

namespace Arena.Tests.Modules.Votes;

/// Nothing a client receives names a battle's models, their provider or its kind before the vote: not the session, not
/// the message list, not a byte or header of either stream protocol on either pipeline, not an error. After it, both.
public sealed class BattleAnonymityTests(VotesApp app) : IClassFixture<VotesApp>
{
    private static readonly (string Protocol, string Pipeline)[] Streams = [("sse", "streaming"), ("data", "streaming"), ("sse", "legacy"), ("data", "legacy")];

    [Fact]
    public async Task Battle_BeforeTheVote_NamesNoModelAnywhereThenBothAfterIt()
    {
        using var client = app.As("nora-anonymous");
        var id = (await VotesApp.CreateBattleAsync(client)).GetProperty("id").GetGuid();

        foreach (var (protocol, pipeline) in Streams)
        {
            var (response, body) = await MessagingApp.StreamAsync(client, id, $"Tell me about rivers ({protocol}, {pipeline}).", protocol, pipeline: pipeline);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(pipeline, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
            app.AssertNamesNone(Headers(response), $"the {protocol} headers on {pipeline}");
            app.AssertNamesNone(body, $"the {protocol} stream on {pipeline}");
            Assert.Contains("You said", body, StringComparison.Ordinal);
            if (protocol == "sse")
            {
                var starts = SseData(body, "start");
                Assert.Equal(["a", "b"], starts.Select(s => s.GetProperty("participant").GetString()).Order());
                Assert.All(starts, s => Assert.False(s.TryGetProperty("model", out _), s.GetRawText()));
            }
        }

        var messages = await client.GetStringAsync($"/api/sessions/{id}/messages");
        app.AssertNamesNone(messages, "the message list");
        var replies = Replies(messages);
        Assert.Equal(2 * Streams.Length, replies.Count);
        Assert.All(replies, r => Assert.Equal("success", r.GetProperty("status").GetString()));
        Assert.All(replies, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("model").ValueKind));
        app.AssertNamesNone(await client.GetStringAsync($"/api/sessions/{id}"), "the session");
        app.AssertNamesNone(await client.GetStringAsync("/api/sessions"), "the session list");

        var vote = await VotesApp.JsonAsync(await VotesApp.VoteAsync(client, id, "b"));

        // Counted: with the default identity words (the model ids), an anonymous mock's replies gave nothing away.
        Assert.True(vote.GetProperty("counted").GetBoolean(), vote.GetRawText());
        var modelA = vote.GetProperty("model_a").GetString();
        var modelB = vote.GetProperty("model_b").GetString();
        var session = await VotesApp.JsonAsync(await client.GetAsync($"/api/sessions/{id}"));
        Assert.Equal(modelA, session.GetProperty("model_a").GetString());
        Assert.Equal(modelB, session.GetProperty("model_b").GetString());
        var revealed = Replies(await client.GetStringAsync($"/api/sessions/{id}/messages"));
        Assert.All(revealed, r => Assert.Equal(r.GetProperty("participant").GetString() == "a" ? modelA : modelB, r.GetProperty("model").GetString()));
        var (_, after) = await MessagingApp.StreamAsync(client, id, "And now?", "sse");
        Assert.Equal(
            [$"a={modelA}", $"b={modelB}"],
            SseData(after, "start").Select(s => $"{s.GetProperty("participant").GetString()}={s.GetProperty("model").GetString()}").Order());
    }

    private static string Headers(HttpResponseMessage response) =>
        string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(", ", h.Value)}"));

    private static List<JsonElement> Replies(string messages) =>
        [.. JsonDocument.Parse(messages).RootElement.GetProperty("items").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "assistant")];

    private static List<JsonElement> SseData(string body, string eventName) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Where(lines => lines.Contains($"event: {eventName}"))
            .Select(lines => JsonDocument.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]).RootElement)];
}

/// A failing side's error, in either protocol and on either pipeline, names neither the model nor its provider.
public sealed class FailedBattleAnonymityTests(FailingBattleApp app) : IClassFixture<FailingBattleApp>
{
    [Theory]
    [InlineData("sse", "streaming")]
    [InlineData("data", "legacy")]
    public async Task Battle_SideFailsBeforeTheVote_ErrorNamesNoModelOrProvider(string protocol, string pipeline)
    {
        using var client = app.As($"olga-failed-{protocol}");
        var id = (await VotesApp.CreateBattleAsync(client)).GetProperty("id").GetGuid();

        var (response, body) = await MessagingApp.StreamAsync(client, id, "Hello there", protocol, pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(pipeline, Assert.Single(response.Headers.GetValues("X-Arena-Pipeline")));
        Assert.Contains("unavailable", body, StringComparison.Ordinal);
        app.AssertNamesNone(body, $"the {protocol} stream on {pipeline}");
        var messages = await client.GetStringAsync($"/api/sessions/{id}/messages");
        app.AssertNamesNone(messages, "the message list");
        var failed = Assert.Single(JsonDocument.Parse(messages).RootElement.GetProperty("items").EnumerateArray(), m => m.GetProperty("status").GetString() == "error");
        Assert.Equal("unavailable", failed.GetProperty("metadata").GetProperty("error").GetProperty("code").GetString());
    }
}
