using Arena.Modules.Providers.Contracts;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

public sealed class SecretLoggingTests : IClassFixture<ProvidersApp>
{
    private readonly ProvidersApp app;

    public SecretLoggingTests(ProvidersApp app)
    {
        this.app = app;
        app.Upstream.Reset();
    }

    [Fact]
    public async Task HostRun_KeyedProvidersSucceedAndFail_NoKeyInAnyLogLineOrResponse()
    {
        app.Upstream.Enqueue(
            FakeResponse.EventStream(OpenAIStream.Completion(["fine"])),
            FakeResponse.Json(401, """{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"""),
            FakeResponse.Json(429, """{"error":{"message":"slow down","type":"requests"}}"""),
            FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("x"), FakeFrame.Delay(TimeSpan.FromMilliseconds(300)), FakeFrame.Disconnect),
            FakeResponse.EventStream(AnthropicStream.Completion(["fine"])),
            FakeResponse.Json(401, AnthropicStream.ErrorBody("invalid x-api-key", "authentication_error")),
            FakeResponse.EventStream(AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("x"), AnthropicStream.Error("Overloaded")));

        var outcomes = new List<CompletionUpdate>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.Add((await app.StreamAsync(ProvidersApp.OpenAIModel, "hi"))[^1]);
        }

        for (var i = 0; i < 3; i++)
        {
            outcomes.Add((await app.StreamAsync(ProvidersApp.AnthropicModel, "hi"))[^1]);
        }

        using var client = app.As("alice");
        var models = await client.GetStringAsync("/api/models");

        Assert.Equal(
            ["finished", "Unauthorized", "Truncated", "finished", "Unauthorized", "Unavailable"],
            outcomes.Select(o => o is CompletionFailed f ? f.Code.ToString() : "finished"));
        var lines = app.Logs.Lines;
        Assert.Contains(lines, line => line.Contains(ProvidersApp.OpenAIModel, StringComparison.Ordinal) && line.Contains("Unauthorized", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("/api/models", StringComparison.Ordinal));
        foreach (var secret in new[] { ProvidersApp.OpenAIKey, ProvidersApp.AnthropicKey, "SECRET" })
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, models);
            Assert.DoesNotContain(outcomes.OfType<CompletionFailed>(), f => f.Message.Contains(secret, StringComparison.Ordinal));
        }
    }
}
