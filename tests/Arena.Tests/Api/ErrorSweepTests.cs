using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arena.Tests.Support;

namespace Arena.Tests.Api;

/// Every endpoint the document lists, fed malformed input: each answer is a problem in the client's terms, with one
/// title per kind of problem, and never a .NET type, a parameter name or a framework hint.
public sealed class ErrorSweepTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    private static readonly string[] Leaks =
    [
        "Arena.", "System.", "Microsoft.", "Nullable", "parameter", "Did you mean", "Implicit body", "could not be converted",
        "LineNumber", "BytePositionInLine", "Path:", "Service", "JsonException", "+Body", "Exception",
    ];

    [Fact]
    public async Task Endpoints_MalformedInput_AnswerInTheClientsTermsWithOneTitlePerKind()
    {
        using var alice = app.As("alice-sweep");
        var (document, _) = await ApiDocument.FetchAsync(alice);
        var session = JsonNode.Parse(await (await alice.PostAsync("/api/sessions", ApiDocument.Json("""{"mode":"direct","model_a":"mock-swift"}"""))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var titles = new Dictionary<int, HashSet<string>>();
        var failures = new List<string>();
        var swept = 0;
        var notJson = new Dictionary<string, string>();

        async Task<JsonElement> Send(string method, string url, HttpContent? content, HttpStatusCode expected)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = content };
            var response = await alice.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            swept++;
            if (response.StatusCode != expected || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{method} {url}: {(int)response.StatusCode} {text}");
                return default;
            }

            failures.AddRange(Leaks.Where(leak => text.Contains(leak, StringComparison.Ordinal)).Select(leak => $"{method} {url} leaks '{leak}': {text}"));
            var problem = JsonDocument.Parse(text).RootElement;
            titles.TryAdd((int)response.StatusCode, []);
            titles[(int)response.StatusCode].Add(problem.GetProperty("title").GetString()!);
            return problem;
        }

        void Expect(bool condition, string what)
        {
            if (!condition)
            {
                failures.Add(what);
            }
        }

        foreach (var (method, path, operation) in document.Operations())
        {
            var url = path.Replace("{id}", session, StringComparison.Ordinal);
            foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
            {
                if (parameter!["in"]!.GetValue<string>() == "query" && parameter["schema"]?["type"]?.ToJsonString().Contains("integer", StringComparison.Ordinal) == true)
                {
                    var name = parameter["name"]!.GetValue<string>();
                    var problem = await Send(method, $"{url}?{name}=abc", null, HttpStatusCode.BadRequest);
                    Expect(problem.ValueKind == JsonValueKind.Object && Message(problem, name).Contains("integer", StringComparison.Ordinal), $"{method} {path} ?{name}=abc: {problem}");
                }
            }

            if (operation["requestBody"]?["content"]?["application/json"] is not JsonObject body)
            {
                continue;
            }

            foreach (var (text, line) in new[] { ("""{"title": "x", """, 1), ("not json", 1), ("{\n  \"a\": tru }", 2) })
            {
                var problem = await Send(method, url, ApiDocument.Json(text), HttpStatusCode.BadRequest);
                var message = problem.ValueKind == JsonValueKind.Object ? Message(problem, "body") : "";
                Expect(message.StartsWith($"The body is not valid JSON (line {line}, position ", StringComparison.Ordinal), $"{method} {path} {text}: {problem}");
                // The same text is reported the same way, at the same position, by every endpoint.
                Expect(notJson.TryAdd(text, message) || notJson[text] == message, $"{method} {path} {text}: '{message}' differs from '{notJson[text]}'");
            }

            var missing = await Send(method, url, null, HttpStatusCode.BadRequest);
            Expect(missing.ValueKind == JsonValueKind.Object && Message(missing, "body").Contains("missing", StringComparison.Ordinal), $"{method} {path} without a body: {missing}");
            foreach (var notAnObject in new[] { "[]", "\"text\"", "42" })
            {
                var problem = await Send(method, url, ApiDocument.Json(notAnObject), HttpStatusCode.BadRequest);
                Expect(problem.ValueKind == JsonValueKind.Object && Message(problem, "body").Contains("JSON object", StringComparison.Ordinal), $"{method} {path} {notAnObject}: {problem}");
            }

            var example = body["example"]?.AsObject() ?? throw new InvalidOperationException($"{method} {path} documents no request example");
            var schema = document.Resolve(body["schema"]!);
            foreach (var (field, fieldSchema) in schema["properties"]!.AsObject())
            {
                var resolved = document.Resolve(fieldSchema!);
                var types = resolved["type"]?.ToJsonString() ?? "";
                var wrong = types.Contains("string", StringComparison.Ordinal) || resolved["enum"] is not null ? JsonValue.Create(12345) : (JsonNode)JsonValue.Create("wrong");
                var broken = example.DeepClone().AsObject();
                broken[field] = wrong;
                var problem = await Send(method, url, ApiDocument.Json(broken.ToJsonString()), HttpStatusCode.BadRequest);
                var message = problem.ValueKind == JsonValueKind.Object ? Message(problem, field) : "";
                Expect(message.Contains($"'{field}'", StringComparison.Ordinal), $"{method} {path} {field}={wrong.ToJsonString()}: {problem}");
                if (resolved["enum"] is JsonArray values)
                {
                    broken[field] = "not-a-value";
                    problem = await Send(method, url, ApiDocument.Json(broken.ToJsonString()), HttpStatusCode.BadRequest);
                    message = problem.ValueKind == JsonValueKind.Object ? Message(problem, field) : "";
                    Expect(values.All(v => message.Contains(v!.GetValue<string>(), StringComparison.Ordinal)), $"{method} {path} {field} lists no accepted values: {problem}");
                }
            }
        }

        var robot = await Send("POST", "/api/messages/stream/", ApiDocument.Json($$"""{"session_id":"{{session}}","messages":[{"role":"robot","content":"hi"}]}"""), HttpStatusCode.BadRequest);
        Expect(robot.ValueKind == JsonValueKind.Object && Message(robot, "messages[0].role") is var role && role.Contains("robot", StringComparison.Ordinal) && role.Contains("user, assistant, system", StringComparison.Ordinal), $"unknown role: {robot}");
        await Send("GET", $"/api/sessions/{Guid.CreateVersion7()}", null, HttpStatusCode.NotFound);
        await Send("POST", "/api/messages/stream/", ApiDocument.Json($$"""{"session_id":"{{Guid.CreateVersion7()}}","messages":[{"role":"user","content":"hi"}]}"""), HttpStatusCode.NotFound);

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(swept > 30, $"only {swept} requests swept");
        Assert.All(titles, t => Assert.Single(t.Value));
    }

    private static string Message(JsonElement problem, string field) =>
        problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out var messages) ? messages[0].GetString() ?? "" : "";
}
