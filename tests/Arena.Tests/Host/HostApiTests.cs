using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Arena.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Host;

public sealed class HostApiTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    [Theory]
    [InlineData("GET", "/api/sessions")]
    [InlineData("POST", "/api/sessions")]
    [InlineData("GET", "/api/models")]
    [InlineData("DELETE", "/api/sessions/0195a0f2-0000-7000-8000-000000000000")]
    public async Task Api_WithoutToken_Returns401(string method, string path)
    {
        using var client = app.Anonymous();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_TokenSignedByAnotherKey_Returns401()
    {
        using var client = app.Anonymous();
        var forged = TestTokens.For("mallory", key: Convert.ToBase64String(new byte[32]));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/sessions")).StatusCode);
    }

    [Fact]
    public async Task Api_ExpiredOrForeignIssuerToken_Returns401()
    {
        using var expired = app.Anonymous();
        expired.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("alice", expires: DateTime.UtcNow.AddMinutes(-10)));
        using var foreign = app.Anonymous();
        foreign.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("alice", issuer: "someone-else"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await expired.GetAsync("/api/sessions")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await foreign.GetAsync("/api/sessions")).StatusCode);
    }

    [Fact]
    public void ApiEndpoints_All_RequireAuthorization()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e => Assert.NotEmpty(e.Metadata.GetOrderedMetadata<IAuthorizeData>()));
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_Anonymous_Returns200(string path)
    {
        using var client = app.Anonymous();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApi_Document_DescribesSessionsInSnakeCaseWithBearerScheme()
    {
        using var client = app.Anonymous();

        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;

        Assert.True(document.GetProperty("paths").TryGetProperty("/api/sessions", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/sessions/{id}", out _));
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var response = schemas.EnumerateObject().First(s => s.Name.Contains("SessionResponse", StringComparison.Ordinal)).Value;
        Assert.True(response.GetProperty("properties").TryGetProperty("model_a", out _));
        Assert.True(response.GetProperty("properties").TryGetProperty("created_at", out _));
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheStreamRouteFromMessagingsEndpoint()
    {
        using var client = app.Anonymous();

        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;

        var operation = document.GetProperty("paths").GetProperty("/api/messages/stream").GetProperty("post");
        var body = Resolve(document, operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal("uuid", body.GetProperty("properties").GetProperty("session_id").GetProperty("format").GetString());
        Assert.Equal(["messages", "session_id"], body.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal));
        var message = Resolve(document, body.GetProperty("properties").GetProperty("messages").GetProperty("items")).GetProperty("properties");
        Assert.True(message.TryGetProperty("role", out _));
        Assert.True(message.TryGetProperty("content", out _));
        var parameters = operation.GetProperty("parameters").EnumerateArray()
            .Select(p => $"{p.GetProperty("in").GetString()}:{p.GetProperty("name").GetString()}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(["header:Idempotency-Key", "header:Last-Event-ID", "header:X-Arena-Pipeline", "header:X-Arena-Protocol", "query:protocol"], parameters);
        var responses = operation.GetProperty("responses");
        var stream = responses.GetProperty("200");
        Assert.True(stream.GetProperty("content").TryGetProperty("text/event-stream", out _));
        // Both wire formats are described: the data lines' camelCase and the server-sent events' snake_case.
        Assert.Contains("finishReason", stream.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("finish_reason", stream.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("StreamMessage", operation.GetProperty("operationId").GetString());
        Assert.True(stream.GetProperty("headers").TryGetProperty("X-Arena-Pipeline", out _));
        // Every problem may name the field at fault (413 names messages); only a validation problem (400) always does.
        foreach (var (status, alwaysNamesFields) in new[] { ("400", true), ("401", false), ("404", false), ("409", false), ("413", false), ("503", false) })
        {
            var schema = Resolve(document, responses.GetProperty(status).GetProperty("content").GetProperty("application/problem+json").GetProperty("schema"));
            Assert.True(schema.GetProperty("properties").TryGetProperty("title", out _), status);
            Assert.True(schema.GetProperty("properties").TryGetProperty("errors", out _), status);
            Assert.Equal(alwaysNamesFields, schema.GetProperty("required").EnumerateArray().Any(r => r.GetString() == "errors"));
            Assert.False(string.IsNullOrWhiteSpace(responses.GetProperty(status).GetProperty("description").GetString()), status);
        }

        // Described once: the legacy pipeline's endpoint answers the same route with the same contract.
        Assert.Equal(1, document.GetProperty("paths").EnumerateObject().Count(p => p.Name.StartsWith("/api/messages/stream", StringComparison.Ordinal)));
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!;
        return document.GetProperty("components").GetProperty("schemas").GetProperty(name[(name.LastIndexOf('/') + 1)..]);
    }

    [Fact]
    public async Task StreamRoute_WithoutToken_Returns401Problem()
    {
        using var client = app.Anonymous();

        var response = await client.PostAsync("/api/messages/stream/", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblem(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ApiReferencePage_Anonymous_ServesHtml()
    {
        using var client = app.Anonymous();

        var response = await client.GetAsync("/scalar/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    /// A client that accepts no JSON (a browser's navigation, an SSE client) gets the problem the framework writes for JSON
    /// clients: the same type, title and trace id, only by the writer for every other Accept.
    [Theory]
    [InlineData("text/html")]
    [InlineData("text/event-stream")]
    public async Task Problem_ClientAcceptingNoJson_KeepsTypeAndTraceId(string accept)
    {
        using var client = app.As("alice");
        var missing = "/api/sessions/0195a0f2-0000-7000-8000-000000000000";
        var asJson = await client.GetAsync(missing);
        using var request = new HttpRequestMessage(HttpMethod.Get, missing);
        request.Headers.Accept.ParseAdd(accept);

        var other = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        using var expected = JsonDocument.Parse(await asJson.Content.ReadAsStringAsync());
        using var actual = JsonDocument.Parse(await other.Content.ReadAsStringAsync());
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.5", actual.RootElement.GetProperty("type").GetString());
        foreach (var name in new[] { "type", "title", "status" })
        {
            Assert.Equal(expected.RootElement.GetProperty(name).ToString(), actual.RootElement.GetProperty(name).ToString());
        }

        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", actual.RootElement.GetProperty("trace_id").GetString());
    }

    [Fact]
    public async Task Api_MalformedJson_ReturnsProblemBeforeTouchingData()
    {
        using var client = app.As("alice-malformed");

        var response = await client.PostAsync("/api/sessions", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest);
    }
}
