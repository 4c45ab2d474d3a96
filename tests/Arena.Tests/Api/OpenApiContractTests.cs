using System.Net;
using System.Text.Json.Nodes;
using Arena.Tests.Clients;
using Arena.Tests.Modules.Votes;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Arena.Tests.Api;

/// The OpenAPI document cannot drift from the code: an independent reader validates it, and every operation it lists is
/// called on the live Host, each real answer checked against what the document says of it.
[Collection(ApiContractCollection.Name)]
public sealed class OpenApiContractTests(ContractApp app)
{
    [Fact]
    public async Task OpenApiDocument_ReadWithMicrosoftOpenApiRules_HasNoErrorsOrWarnings()
    {
        using var client = app.Anonymous();
        var (_, json) = await ApiDocument.FetchAsync(client);

        var read = OpenApiDocument.Parse(json, "json", new OpenApiReaderSettings());
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        Assert.NotNull(read.Document);
        var problems = read.Document.Validate(ValidationRuleSet.GetDefaultRuleSet());
        Assert.Empty(problems?.Select(p => $"{p.Pointer}: {p.Message}") ?? []);
    }

    [Fact]
    public async Task OpenApiDocument_LintedByRedoclyRecommendedRules_HasNoErrorsAndOnlyTheWarningsDocsJustify()
    {
        using var client = app.Anonymous();
        var (_, json) = await ApiDocument.FetchAsync(client);
        var file = Path.Combine(Path.GetTempPath(), $"arena-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);
        try
        {
            var (exitCode, output, errors) = await NodeClient.RunToolAsync("@redocly/cli", "bin/cli.js", ["lint", file, "--extends=recommended", "--format=json"], TimeSpan.FromMinutes(2));

            Assert.True(exitCode == 0, $"redocly exited with {exitCode}:\n{output}\n{errors}");
            var problems = JsonNode.Parse(output)!["problems"]!.AsArray()
                .Select(p => $"{(p!["severity"]!.GetValue<string>() == "error" ? "error " : "")}{p["ruleId"]!.GetValue<string>()} {p["location"]![0]!["pointer"]!.GetValue<string>()}")
                .Order(StringComparer.Ordinal).ToList();
            // docs/api.md says why this one stays: no licence is granted. The test server names no server address, so the
            // localhost warning a developer's Host also gets cannot show here.
            Assert.Equal(["info-license-strict #/info/license"], problems);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task OpenApiDocument_Schemas_AreValidUniquelyNamedAndMatchTheValidators()
    {
        using var client = app.Anonymous();
        var (document, _) = await ApiDocument.FetchAsync(client);

        foreach (var (name, schema) in document.Schemas)
        {
            var meta = MetaSchemas.Draft202012.Evaluate(System.Text.Json.JsonDocument.Parse(schema!.ToJsonString()).RootElement);
            Assert.True(meta.IsValid, $"{name} is not a valid JSON Schema");
        }

        var tags = document.Root["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain("Models", tags);
        Assert.Empty(tags.Intersect(document.Schemas.Select(s => s.Key)));
        Assert.DoesNotContain(document.Schemas, s => s.Key is "Body" or "Response" or "Request" or "Query" or "Command");

        Assert.Equal(["mode"], Required(document, "CreateSessionRequest"));
        Assert.Equal(["title"], Required(document, "RenameSessionRequest"));
        Assert.Equal(["items", "next_cursor"], Required(document, "SessionPage"));
        Assert.Equal(["created_at", "id", "mode", "title", "updated_at"], Required(document, "SessionResponse"));
        Assert.Equal(["direct", "compare", "battle"], document.Schemas["SessionMode"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        var create = document.Schemas["CreateSessionRequest"]!["properties"]!;
        Assert.Equal("#/components/schemas/SessionMode", create["mode"]!["$ref"]!.GetValue<string>());
        // Battle mode takes no model_a: null is allowed there.
        Assert.Equal(["null", "string"], create["model_a"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Contains("null", create["title"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(200, create["title"]!["maxLength"]!.GetValue<int>());
        Assert.Equal("string", document.Schemas["SessionResponse"]!["properties"]!["model_b"]!["type"]!.GetValue<string>());
        Assert.Contains("null", document.Schemas["SessionPage"]!["properties"]!["next_cursor"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()));

        Assert.Equal(["winner"], Required(document, "CastVoteRequest"));
        Assert.Equal("#/components/schemas/Winner", document.Schemas["CastVoteRequest"]!["properties"]!["winner"]!["$ref"]!.GetValue<string>());
        Assert.Equal(["a", "b", "c", "d", "tie", "both_bad", "all_bad"], document.Schemas["Winner"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("counted", Required(document, "VoteResult"));
        Assert.Contains("arena_vote_id", Required(document, "ExportedVote"));
        Assert.DoesNotContain("JsonElement", document.Schemas.Select(s => s.Key));
        Assert.Equal("#/components/schemas/VoteTurn", document.Schemas["ExportedVote"]!["properties"]!["arena_turns"]!["items"]!["$ref"]!.GetValue<string>());
        Assert.Equal(["counted"], Values(document.Schemas["ExportedVote"]!["properties"]!["arena_validity"]!));
        Assert.Equal(["user", "assistant", "system"], Values(document.Schemas["ChatMessage"]!["properties"]!["role"]!));
        Assert.Equal(["a", "b", "c", "d", null], Values(document.Schemas["MessageResponse"]!["properties"]!["participant"]!));
        Assert.Contains("tool_calls", Values(document.Schemas["MessageResponse"]!["properties"]!["status"]!));
        Assert.Contains("too_fast", Values(document.Schemas["VoteResult"]!["properties"]!["void_reason"]!));
        Assert.Equal("boolean", document.Schemas["StreamMessageBody"]!["properties"]!["resumable"]!["type"]!.AsArray().First(t => t!.GetValue<string>() != "null")!.GetValue<string>());
        Assert.Contains("models", Required(document, "LeaderboardDocument"));
        Assert.Equal(["status"], Required(document, "LeaderboardComputing"));
        var resume = document.Operations().Single(o => o.Path == "/api/sessions/{id}/stream").Operation;
        Assert.Equal(["id", "access_token", "last_event_id", "Last-Event-ID", "protocol"], resume["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        var start = document.Operations().Single(o => o.Path == "/api/messages/stream").Operation;
        Assert.Contains("Idempotency-Key", start["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Contains("traceparent", document.Schemas["ProblemDetails"]!["properties"]!["trace_id"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(document.Operations().SelectMany(o => o.Operation["parameters"]?.AsArray() ?? []).Where(p => p!["in"]!.GetValue<string>() == "path"),
            p => Assert.Contains("404", p!["description"]!.GetValue<string>(), StringComparison.Ordinal));
        var leaderboard = document.Operations().Single(o => o.Path == "/api/leaderboard").Operation;
        Assert.NotNull(leaderboard["responses"]!["202"]!["headers"]!["Retry-After"]);
        var control = leaderboard["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "control")!;
        Assert.Equal(["none", "length"], control["schema"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task Operations_EveryDocumentedOperationAndStatus_AnswersAsDocumented()
    {
        using var anonymous = app.Anonymous();
        using var alice = app.As("alice-contract");
        using var bob = app.As("bob-contract");
        var (document, _) = await ApiDocument.FetchAsync(anonymous);
        var operations = document.Operations().ToDictionary(o => $"{o.Method} {o.Path}", o => o.Operation);
        var covered = new HashSet<string>();
        var failures = new List<string>();

        async Task<HttpResponseMessage> Call(HttpClient client, string key, HttpMethod method, string url, HttpContent? body = null)
        {
            Assert.True(operations.ContainsKey(key), $"{key} is not documented");
            using var request = new HttpRequestMessage(method, url) { Content = body };
            var response = await client.SendAsync(request);
            var problem = await document.CheckAsync(operations[key], response);
            if (problem is not null)
            {
                failures.Add($"{key} ({url}): {problem}");
            }

            covered.Add($"{key} {(int)response.StatusCode}");
            return response;
        }

        const string models = "GET /api/models";
        await Call(alice, models, HttpMethod.Get, "/api/models");
        await Call(anonymous, models, HttpMethod.Get, "/api/models");

        const string create = "POST /api/sessions";
        var created = await Call(alice, create, HttpMethod.Post, "/api/sessions", ApiDocument.Json("""{"mode":"compare","model_a":"mock-swift","model_b":"mock-sage","title":"Contract"}"""));
        var session = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await Call(alice, create, HttpMethod.Post, "/api/sessions", ApiDocument.Json("""{"mode":"direct","model_a":"mock-echo"}"""));
        await Call(alice, create, HttpMethod.Post, "/api/sessions", ApiDocument.Json("""{"mode":"trio"}"""));
        await Call(alice, create, HttpMethod.Post, "/api/sessions", new StringContent("""{"mode":"direct"}""", System.Text.Encoding.UTF8, "text/plain"));
        await Call(anonymous, create, HttpMethod.Post, "/api/sessions", ApiDocument.Json("{}"));

        const string list = "GET /api/sessions";
        await Call(alice, list, HttpMethod.Get, "/api/sessions?limit=1");
        await Call(alice, list, HttpMethod.Get, "/api/sessions?limit=0");
        await Call(anonymous, list, HttpMethod.Get, "/api/sessions");

        // Documented without the trailing slash, which the old service's clients send and the route also answers.
        const string stream = "POST /api/messages/stream";
        var turn = $$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"Contract?"}]}""";
        var streamed = await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
        Assert.Contains("d:", await streamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json("""{"messages":[]}"""));
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", new StringContent(turn, System.Text.Encoding.UTF8, "text/plain"));
        await Call(anonymous, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
        await Call(bob, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json($$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"{{new string('x', 32001)}}"}]}"""));
        var other = JsonNode.Parse(await (await alice.PostAsync("/api/sessions", ApiDocument.Json("""{"mode":"direct","model_a":"mock-echo"}"""))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await StreamConflictAsync(alice, session, async () =>
        {
            await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
            await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", Legacy(ApiDocument.Json($$"""{"session_id":"{{other}}","messages":[{"role":"user","content":"Busy?"}]}""")));
        });

        // A key names one start: the same key with another message is a mistake, not a retry.
        var keyed = JsonNode.Parse(await (await alice.PostAsync("/api/sessions", ApiDocument.Json("""{"mode":"direct","model_a":"mock-echo"}"""))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var key = Guid.NewGuid().ToString();
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", Keyed(ApiDocument.Json($$"""{"session_id":"{{keyed}}","messages":[{"role":"user","content":"Keyed?"}]}"""), key));
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", Keyed(ApiDocument.Json($$"""{"session_id":"{{keyed}}","messages":[{"role":"user","content":"Another?"}]}"""), key));

        // Another user past the minute's stream requests (refused ones count too).
        using var hasty = app.As("hasty-contract");
        for (var i = 0; i < ContractApp.StreamRequestsPerMinute; i++)
        {
            using var spent = await hasty.PostAsync("/api/messages/stream/", ApiDocument.Json("{}"));
        }

        await Call(hasty, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));

        const string resume = "GET /api/sessions/{id}/stream";
        // The turn above has ended, so a resume replays it from the stored rows.
        var replayed = await Call(alice, resume, HttpMethod.Get, $"/api/sessions/{session}/stream");
        Assert.Contains("d:", await replayed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Call(alice, resume, HttpMethod.Get, $"/api/sessions/{session}/stream?last_event_id=first");
        await Call(anonymous, resume, HttpMethod.Get, $"/api/sessions/{session}/stream");
        await Call(bob, resume, HttpMethod.Get, $"/api/sessions/{session}/stream");
        var quiet = JsonNode.Parse(await (await alice.PostAsync("/api/sessions", ApiDocument.Json("""{"mode":"direct","model_a":"mock-echo"}"""))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await Call(alice, resume, HttpMethod.Get, $"/api/sessions/{quiet}/stream");
        // A turn streaming on an instance that recorded no address (one that has not finished starting) cannot be followed.
        var unreachable = JsonNode.Parse(await (await alice.PostAsync("/api/sessions", ApiDocument.Json("""{"mode":"direct","model_a":"mock-echo"}"""))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await StreamingElsewhereAsync(Guid.Parse(unreachable));
        await Call(alice, resume, HttpMethod.Get, $"/api/sessions/{unreachable}/stream");

        const string stop = "POST /api/sessions/{id}/stop";
        await Call(alice, stop, HttpMethod.Post, $"/api/sessions/{quiet}/stop");
        await Call(anonymous, stop, HttpMethod.Post, $"/api/sessions/{quiet}/stop");
        await Call(bob, stop, HttpMethod.Post, $"/api/sessions/{quiet}/stop");

        const string vote = "POST /api/sessions/{id}/vote";
        var battle = JsonNode.Parse(await (await Call(alice, create, HttpMethod.Post, "/api/sessions", ApiDocument.Json("""{"mode":"battle"}"""))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await Call(alice, vote, HttpMethod.Post, $"/api/sessions/{battle}/vote", ApiDocument.Json("""{"winner":"a"}"""));

        const string fork = "POST /api/sessions/{id}/fork";
        await Call(alice, fork, HttpMethod.Post, $"/api/sessions/{session}/fork", ApiDocument.Json("""{"participant":"b"}"""));
        await Call(alice, fork, HttpMethod.Post, $"/api/sessions/{session}/fork", ApiDocument.Json("""{"participant":"c"}"""));
        await Call(alice, fork, HttpMethod.Post, $"/api/sessions/{session}/fork", new StringContent("""{"participant":"a"}""", System.Text.Encoding.UTF8, "text/plain"));
        await Call(alice, fork, HttpMethod.Post, $"/api/sessions/{battle}/fork", ApiDocument.Json("""{"participant":"a"}"""));
        await Call(bob, fork, HttpMethod.Post, $"/api/sessions/{session}/fork", ApiDocument.Json("""{"participant":"a"}"""));
        await Call(anonymous, fork, HttpMethod.Post, $"/api/sessions/{session}/fork", ApiDocument.Json("""{"participant":"a"}"""));

        await VotesApp.PromptAsync(alice, Guid.Parse(battle), "Contract battle?");
        await Call(alice, vote, HttpMethod.Post, $"/api/sessions/{battle}/vote", ApiDocument.Json("""{"winner":"left"}"""));
        await Call(alice, vote, HttpMethod.Post, $"/api/sessions/{battle}/vote", new StringContent("""{"winner":"a"}""", System.Text.Encoding.UTF8, "text/plain"));
        await Call(bob, vote, HttpMethod.Post, $"/api/sessions/{battle}/vote", ApiDocument.Json("""{"winner":"a"}"""));
        await Call(anonymous, vote, HttpMethod.Post, $"/api/sessions/{battle}/vote", ApiDocument.Json("""{"winner":"a"}"""));
        var voted = await Call(alice, vote, HttpMethod.Post, $"/api/sessions/{battle}/vote", ApiDocument.Json("""{"winner":"both_bad"}"""));
        Assert.True(JsonNode.Parse(await voted.Content.ReadAsStringAsync())!["counted"]!.GetValue<bool>());

        const string export = "GET /api/votes/export";
        using var admin = app.Admin("root-contract");
        var exported = await Call(admin, export, HttpMethod.Get, "/api/votes/export");
        Assert.Contains(battle.Replace("-", "", StringComparison.Ordinal), await exported.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Call(alice, export, HttpMethod.Get, "/api/votes/export");
        await Call(anonymous, export, HttpMethod.Get, "/api/votes/export");

        const string leaderboard = "GET /api/leaderboard";
        await Call(alice, leaderboard, HttpMethod.Get, "/api/leaderboard?control=style");
        await Call(anonymous, leaderboard, HttpMethod.Get, "/api/leaderboard");
        // A start date nobody asked for yet is computed only once asked for: 202 first, then the ratings.
        var since = $"/api/leaderboard?since={DateTime.UtcNow:yyyy-MM-dd}&min_votes=0";
        var board = await Call(alice, leaderboard, HttpMethod.Get, since);
        Assert.Equal(HttpStatusCode.Accepted, board.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (board.StatusCode == HttpStatusCode.Accepted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(board.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
            board = await Call(alice, leaderboard, HttpMethod.Get, since);
        }

        Assert.Equal(HttpStatusCode.OK, board.StatusCode);
        // The one stored start date was asked for just now, so another cannot take its place yet.
        await Call(alice, leaderboard, HttpMethod.Get, $"/api/leaderboard?since={DateTime.UtcNow.AddDays(-1):yyyy-MM-dd}");

        const string messages = "GET /api/sessions/{id}/messages";
        await Call(alice, messages, HttpMethod.Get, $"/api/sessions/{session}/messages");
        await Call(bob, messages, HttpMethod.Get, $"/api/sessions/{session}/messages");
        await Call(anonymous, messages, HttpMethod.Get, $"/api/sessions/{session}/messages");

        const string get = "GET /api/sessions/{id}";
        await Call(alice, get, HttpMethod.Get, $"/api/sessions/{session}");
        await Call(bob, get, HttpMethod.Get, $"/api/sessions/{session}");
        await Call(anonymous, get, HttpMethod.Get, $"/api/sessions/{session}");

        const string rename = "PATCH /api/sessions/{id}";
        await Call(alice, rename, HttpMethod.Patch, $"/api/sessions/{session}", ApiDocument.Json("""{"title":"Renamed"}"""));
        await Call(alice, rename, HttpMethod.Patch, $"/api/sessions/{session}", ApiDocument.Json("""{"title":""}"""));
        await Call(alice, rename, HttpMethod.Patch, $"/api/sessions/{session}", new StringContent("""{"title":"x"}""", System.Text.Encoding.UTF8, "text/plain"));
        await Call(bob, rename, HttpMethod.Patch, $"/api/sessions/{session}", ApiDocument.Json("""{"title":"Mine"}"""));
        await Call(anonymous, rename, HttpMethod.Patch, $"/api/sessions/{session}", ApiDocument.Json("""{"title":"Mine"}"""));

        const string delete = "DELETE /api/sessions/{id}";
        await Call(bob, delete, HttpMethod.Delete, $"/api/sessions/{session}");
        await Call(anonymous, delete, HttpMethod.Delete, $"/api/sessions/{session}");
        await Call(alice, delete, HttpMethod.Delete, $"/api/sessions/{session}");

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        var documented = operations.SelectMany(o => o.Value["responses"]!.AsObject().Select(r => $"{o.Key} {r.Key}")).ToHashSet();
        Assert.Empty(documented.Except(covered).Order(StringComparer.Ordinal));
    }

    /// A user message and its reply left streaming by an instance this one has no address for.
    private async Task StreamingElsewhereAsync(Guid session)
    {
        await using var connection = new Npgsql.NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new Npgsql.NpgsqlCommand(
            "INSERT INTO messaging.messages (id, session_id, role, content, status, created_at, updated_at) VALUES (@user, @session, 'user', 'Elsewhere?', 'success', now(), now()); " +
            "INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at) " +
            "VALUES (@reply, @session, 'assistant', '', @user, 'mock-echo', 'a', 'streaming', @host, now(), now());",
            connection);
        insert.Parameters.AddWithValue("user", Guid.NewGuid());
        insert.Parameters.AddWithValue("reply", Guid.NewGuid());
        insert.Parameters.AddWithValue("session", session);
        insert.Parameters.AddWithValue("host", Guid.NewGuid());
        await insert.ExecuteNonQueryAsync();
    }

    /// A reply that stalls on the legacy pipeline keeps the session busy and fills that pipeline's pool of one, so that a
    /// second turn meets the documented 409 and a turn sent to the legacy pipeline the documented 503.
    private async Task StreamConflictAsync(HttpClient alice, string session, Func<Task> secondTurn)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages/stream/")
        {
            Content = Legacy(ApiDocument.Json($$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"[mock:stall-after:1] hold on"}]}""")),
        };
        using var busy = await alice.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, busy.StatusCode);
        await secondTurn();
    }

    private static HttpContent Legacy(HttpContent content)
    {
        content.Headers.Add("X-Arena-Pipeline", "legacy");
        return content;
    }

    private static HttpContent Keyed(HttpContent content, string key)
    {
        content.Headers.Add("Idempotency-Key", key);
        return content;
    }

    private static List<string?> Values(JsonNode schema) => [.. schema["enum"]!.AsArray().Select(v => v?.GetValue<string>())];

    private static string[] Required(ApiDocument document, string schema) =>
        [.. document.Schemas[schema]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal)];
}
