using System.Net;
using System.Text.Json.Nodes;
using Arena.Tests.Support;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Arena.Tests.Api;

/// The OpenAPI document cannot drift from the code: an independent reader validates it, and every operation it lists is
/// called on the live Host, each real answer checked against what the document says of it.
public sealed class OpenApiContractTests(ArenaApp app) : IClassFixture<ArenaApp>
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
        Assert.Equal("string", create["model_a"]!["type"]!.GetValue<string>());
        Assert.Contains("null", create["title"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(200, create["title"]!["maxLength"]!.GetValue<int>());
        Assert.Equal("string", document.Schemas["SessionResponse"]!["properties"]!["model_b"]!["type"]!.GetValue<string>());
        Assert.Contains("null", document.Schemas["SessionPage"]!["properties"]!["next_cursor"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()));
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

        const string stream = "POST /api/messages/stream/";
        var turn = $$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"Contract?"}]}""";
        var streamed = await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
        Assert.Contains("d:", await streamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json("""{"messages":[]}"""));
        await Call(anonymous, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
        await Call(bob, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn));
        await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json($$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"{{new string('x', 32001)}}"}]}"""));
        await StreamConflictAsync(alice, session, async () => await Call(alice, stream, HttpMethod.Post, "/api/messages/stream/", ApiDocument.Json(turn)));

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

    /// A reply that stalls keeps the session busy, so that a second turn meets the documented 409.
    private async Task StreamConflictAsync(HttpClient alice, string session, Func<Task> secondTurn)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages/stream/")
        {
            Content = ApiDocument.Json($$"""{"session_id":"{{session}}","messages":[{"role":"user","content":"[mock:stall-after:1] hold on"}]}"""),
        };
        using var busy = await alice.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, busy.StatusCode);
        await secondTurn();
    }

    private static string[] Required(ApiDocument document, string schema) =>
        [.. document.Schemas[schema]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal)];
}
