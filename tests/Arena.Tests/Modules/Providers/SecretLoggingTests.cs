using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Streaming;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

public sealed class SecretLoggingTests : IClassFixture<ProvidersApp>
{
    /// OpenAI's real 401 body: it echoes the key's prefix and last four characters.
    public const string OpenAIInvalidKeyBody = """{"error":{"message":"Incorrect API key provided: sk-proj-****************************************************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";

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
            FakeResponse.Json(401, OpenAIInvalidKeyBody),
            FakeResponse.Json(429, """{"error":{"message":"slow down, sk-proj-****wxyz","type":"requests"}}"""),
            FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("x"), FakeFrame.Delay(TimeSpan.FromMilliseconds(300)), FakeFrame.Disconnect),
            FakeResponse.EventStream(AnthropicStream.Completion(["fine"])),
            FakeResponse.Json(401, AnthropicStream.ErrorBody("invalid x-api-key: sk-ant-api03-****Qw", "authentication_error")),
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
        foreach (var secret in new[] { ProvidersApp.OpenAIKey, ProvidersApp.AnthropicKey, "SECRET", "sk-", "abcd.", "****" })
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, models);
            Assert.DoesNotContain(outcomes.OfType<CompletionFailed>(), f => f.Message.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Stream_OpenAIRejectsTheKeyWithItsRealBody_MessageAndLogsCarryNoKeyFragment()
    {
        app.Upstream.Enqueue(FakeResponse.Json(401, OpenAIInvalidKeyBody));

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(await app.StreamAsync(ProvidersApp.OpenAIModel, "hi")));

        Assert.Equal(CompletionErrorCode.Unauthorized, failed.Code);
        Assert.Equal(ProviderErrors.UnauthorizedMessage, failed.Message);
        Assert.DoesNotContain("sk-", failed.Message);
        Assert.DoesNotContain("abcd", failed.Message);
        var lines = app.Logs.Lines;
        Assert.Contains(lines, line => line.Contains("Incorrect API key provided: [redacted]. You can find", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains("sk-", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains("****abcd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_ConnectionRefused_MessageNamesNoHostOrPort()
    {
        var failed = Assert.IsType<CompletionFailed>(Assert.Single(await app.StreamAsync(ProvidersApp.UnreachableModel, "hi")));

        Assert.Equal(CompletionErrorCode.Unavailable, failed.Code);
        Assert.Equal(ProviderErrors.UnavailableMessage, failed.Message);
        Assert.DoesNotContain("127.0.0.1", failed.Message);
        Assert.DoesNotContain(":1", failed.Message);
        Assert.DoesNotContain("refused", failed.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(app.Logs.Lines, line => line.Contains($"Completion from model {ProvidersApp.UnreachableModel} failed with Unavailable", StringComparison.Ordinal));
    }
}
