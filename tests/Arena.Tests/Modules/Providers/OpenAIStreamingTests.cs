using System.Text;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Streaming;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

/// The OpenAI SDK (through Microsoft.Extensions.AI) against a fake upstream speaking the chat.completion.chunk wire format.
public sealed class OpenAIStreamingTests : IClassFixture<ProvidersApp>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);
    private readonly ProvidersApp app;

    public OpenAIStreamingTests(ProvidersApp app)
    {
        this.app = app;
        app.Upstream.Reset();
    }

    [Fact]
    public async Task Stream_VariedText_AssembledExactlyWithFinishReasonAndUsage()
    {
        var big = string.Concat(Enumerable.Repeat("0123456789abcdef", 4096));
        var chunks = new[] { "Héllo wörld ", "👋 日本語 ", "a \"quoted\" word,\nnew line\t tab \\ backslash ", big, " end" };
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(chunks, promptTokens: 21, completionTokens: 4242)));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "Say hello");

        Assert.Equal(string.Concat(chunks), Text(updates));
        Assert.Equal(new CompletionFinished(FinishReason.Stop, new TokenUsage(21, 4242)), updates[^1]);
        var request = Assert.Single(app.Upstream.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer " + ProvidersApp.OpenAIKey, request.Headers["Authorization"]);
        Assert.Equal("gpt-test", request.Json.GetProperty("model").GetString());
        Assert.True(request.Json.GetProperty("stream").GetBoolean());
        Assert.Equal("Say hello", request.Json.GetProperty("messages")[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Stream_MultiByteCharacterSplitAcrossWrites_AssembledExactly()
    {
        var frame = Encoding.UTF8.GetBytes("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"snow ☃ man\"},\"finish_reason\":null}]}\n\n");
        var split = Array.IndexOf(frame, (byte)0xE2) + 1;
        app.Upstream.Enqueue(FakeResponse.EventStream(
            OpenAIStream.Role(),
            FakeFrame.Bytes(frame[..split]),
            FakeFrame.Delay(TimeSpan.FromMilliseconds(50)),
            FakeFrame.Bytes(frame[split..]),
            OpenAIStream.Finish(),
            OpenAIStream.Done));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "snow");

        Assert.Equal("snow ☃ man", Text(updates));
        Assert.Equal(new CompletionFinished(FinishReason.Stop, null), updates[^1]);
    }

    [Theory]
    [InlineData("length", FinishReason.Length)]
    [InlineData("content_filter", FinishReason.ContentFilter)]
    [InlineData("stop", FinishReason.Stop)]
    public async Task Stream_FinishReason_Mapped(string wire, FinishReason expected)
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["x"], finishReason: wire))); // usage chunk after the finish chunk

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal(new CompletionFinished(expected, new TokenUsage(11, 7)), updates[^1]);
    }

    [Fact]
    public async Task Stream_ErrorFrameAfterText_FailsAfterTheTextAndIsNotRetried()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            OpenAIStream.Role(), OpenAIStream.Content("partial "), OpenAIStream.Content("answer"),
            OpenAIStream.Error("The server had an error while processing your request.", "server_error")));
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionText("partial "), new CompletionText("answer")], updates[..^1]);
        var failed = Assert.IsType<CompletionFailed>(updates[^1]);
        Assert.Equal(new CompletionFailed(CompletionErrorCode.Unavailable, ProviderErrors.UnavailableMessage), failed);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_RateLimitedBeforeFirstChunk_RetriedThenSucceeds()
    {
        app.Upstream.Enqueue(FakeResponse.Json(429, """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"""));
        app.Upstream.Enqueue(FakeResponse.Json(503, """{"error":{"message":"Overloaded","type":"server_error"}}"""));
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["after ", "retries"])));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal("after retries", Text(updates));
        Assert.IsType<CompletionFinished>(updates[^1]);
        Assert.Equal(3, app.Upstream.Requests.Count);
    }

    [Fact]
    public async Task Stream_RateLimitedBeyondRetries_FailsRateLimited()
    {
        for (var i = 0; i < 3; i++)
        {
            app.Upstream.Enqueue(FakeResponse.Json(429, """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"""));
        }

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(updates));
        Assert.Equal(new CompletionFailed(CompletionErrorCode.RateLimited, ProviderErrors.RateLimitedMessage), failed);
        Assert.Equal(3, app.Upstream.Requests.Count);
    }

    [Fact]
    public async Task Stream_Unauthorized_NotRetriedAndMapped()
    {
        app.Upstream.Enqueue(FakeResponse.Json(401, SecretLoggingTests.OpenAIInvalidKeyBody));
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(updates));
        Assert.Equal(new CompletionFailed(CompletionErrorCode.Unauthorized, ProviderErrors.UnauthorizedMessage), failed);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_BadRequest_NotRetriedAndMapped()
    {
        app.Upstream.Enqueue(FakeResponse.Json(400, """{"error":{"message":"max_tokens is too large","type":"invalid_request_error"}}"""));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(updates));
        Assert.Equal(new CompletionFailed(CompletionErrorCode.BadRequest, ProviderErrors.BadRequestMessage), failed);
        Assert.Contains(app.Logs.Lines, line => line.Contains("max_tokens is too large", StringComparison.Ordinal));
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_BadRequestNamingKeysAndHosts_UserGetsFixedText()
    {
        app.Upstream.Enqueue(FakeResponse.Json(400, """{"error":{"message":"Gateway 10.0.3.7:8000 (vllm.internal:8000) refused key sk-live-abc123XYZ with Authorization: Bearer eyJhbGciOi.x-y: prompt is too long","type":"invalid_request_error"}}"""));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(updates));
        Assert.Equal(new CompletionFailed(CompletionErrorCode.BadRequest, ProviderErrors.BadRequestMessage), failed);
        foreach (var leak in new[] { "sk-", "abc123XYZ", "eyJhbGciOi", "10.0.3.7", "8000", "vllm.internal" })
        {
            Assert.DoesNotContain(leak, failed.Message);
        }
    }

    [Fact]
    public async Task Stream_StallPastIdleTimeout_FailsTimeoutAndClosesUpstream()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("so far"), FakeFrame.Stall));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionText("so far")], updates[..^1]);
        Assert.Equal(CompletionErrorCode.Timeout, Assert.IsType<CompletionFailed>(updates[^1]).Code);
        await app.Upstream.Requests[0].ClientGone.WaitAsync(Generous);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_SlowerThanIdleTimeoutInTotalButNeverQuietThatLong_Completes()
    {
        // Each gap is well under the idle timeout; together they are twice as long, so a deadline counted from the first
        // chunk instead of the last would cut this stream.
        var gap = ProvidersApp.IdleTimeout / 3;
        var pieces = Enumerable.Range(0, 6).Select(i => $"piece {i} ").ToList();
        app.Upstream.Enqueue(FakeResponse.EventStream([
            OpenAIStream.Role(),
            .. pieces.SelectMany(piece => new[] { FakeFrame.Delay(gap), OpenAIStream.Content(piece) }),
            OpenAIStream.Finish(),
            OpenAIStream.Done,
        ]));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "slowly");

        Assert.Equal(string.Concat(pieces), Text(updates));
        Assert.Equal(new CompletionFinished(FinishReason.Stop, null), updates[^1]);
    }

    [Fact]
    public async Task Stream_NoFirstChunkWithinTimeout_FailsTimeoutWithoutRetry()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(FakeFrame.Stall));

        var updates = await app.StreamAsync(ProvidersApp.ImpatientModel, "go");

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(updates));
        Assert.Equal(CompletionErrorCode.Timeout, failed.Code);
        Assert.Contains("first chunk", failed.Message);
        await app.Upstream.Requests[0].ClientGone.WaitAsync(Generous);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_ConnectionRefused_RetriedThenUnavailable()
    {
        var updates = await app.StreamAsync(ProvidersApp.UnreachableModel, "go");

        Assert.Equal(new CompletionFailed(CompletionErrorCode.Unavailable, ProviderErrors.UnavailableMessage), Assert.Single(updates));
        Assert.Equal(2, app.Logs.Lines.Count(l => l.Contains($"Retrying model {ProvidersApp.UnreachableModel} after Unavailable", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Stream_EndsWithoutDone_FailsTruncated()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("cut "), OpenAIStream.Content("short")));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal("cut short", Text(updates));
        Assert.Equal(CompletionErrorCode.Truncated, Assert.IsType<CompletionFailed>(updates[^1]).Code);
    }

    [Fact]
    public async Task Stream_FinishAndUsageButNoDone_FailsTruncated()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("almost"), OpenAIStream.Finish(), OpenAIStream.Usage(3, 1)));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal(new CompletionFailed(CompletionErrorCode.Truncated, "The provider's stream ended without its end marker.", new TokenUsage(3, 1)), updates[^1]);
    }

    [Fact]
    public async Task Stream_AbruptDisconnect_FailsTruncatedAfterText()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("before the cut"), FakeFrame.Delay(TimeSpan.FromMilliseconds(300)), FakeFrame.Disconnect));
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionText("before the cut")], updates[..^1]);
        Assert.Equal(new CompletionFailed(CompletionErrorCode.Truncated, ProviderErrors.TruncatedMessage), updates[^1]);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_ConsumerCancels_ThrowsAndUpstreamSeesTheConnectionClose()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("first"), FakeFrame.Stall));
        using var cancellation = new CancellationTokenSource();

        var received = new List<CompletionUpdate>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in app.CreateStream(ProvidersApp.OpenAIModel, "go", cancellation.Token))
            {
                received.Add(update);
                await cancellation.CancelAsync();
            }
        });

        Assert.Equal([new CompletionText("first")], received);
        await app.Upstream.Requests[0].ClientGone.WaitAsync(Generous);
    }

    [Fact]
    public async Task Stream_CompatibleServerWithCommentsAndUsageOnEveryChunk_Assembled()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            OpenAIStream.Comment(),
            OpenAIStream.ContentWithUsage("one ", 5, 1),
            OpenAIStream.Comment(),
            OpenAIStream.ContentWithUsage("two", 5, 2),
            OpenAIStream.ContentWithUsage("", 5, 3, finishReason: "stop"),
            OpenAIStream.Done));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal("one two", Text(updates));
        Assert.Equal(new CompletionFinished(FinishReason.Stop, new TokenUsage(5, 3)), updates[^1]);
    }

    [Fact]
    public async Task Stream_CompatibleServerFinishReasonError_Fails()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("half"), OpenAIStream.Finish("error"), OpenAIStream.Done));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionText("half")], updates[..^1]);
        Assert.Equal(CompletionErrorCode.Unknown, Assert.IsType<CompletionFailed>(updates[^1]).Code);
    }

    [Fact]
    public async Task Stream_KeylessCompatibleServer_StreamsWithNoAuthorizationHeader()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["local ", "answer"])));

        var updates = await app.StreamAsync(ProvidersApp.KeylessModel, "Say hello");

        Assert.Equal("local answer", Text(updates));
        Assert.Equal(new CompletionFinished(FinishReason.Stop, new TokenUsage(11, 7)), updates[^1]);
        var request = Assert.Single(app.Upstream.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("llama3.2", request.Json.GetProperty("model").GetString());
        Assert.False(request.Headers.ContainsKey("Authorization"), string.Join(", ", request.Headers.Keys));
    }

    [Fact]
    public async Task Stream_OpenAIKindWithoutKeyOrOptOut_NotInTheCatalog()
    {
        var updates = await app.StreamAsync(ProvidersApp.MissingKeyModel, "go");

        Assert.Equal(CompletionErrorCode.BadRequest, Assert.IsType<CompletionFailed>(Assert.Single(updates)).Code);
        Assert.Empty(app.Upstream.Requests);
    }

    internal static string Text(IEnumerable<CompletionUpdate> updates) => string.Concat(updates.OfType<CompletionText>().Select(t => t.Text));
}
