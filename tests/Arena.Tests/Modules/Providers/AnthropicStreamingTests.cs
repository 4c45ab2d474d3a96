using System.Text;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Streaming;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

/// The official Anthropic SDK's IChatClient against a fake upstream speaking the Messages event-stream format.
public sealed class AnthropicStreamingTests : IClassFixture<ProvidersApp>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);
    private readonly ProvidersApp app;

    public AnthropicStreamingTests(ProvidersApp app)
    {
        this.app = app;
        app.Upstream.Reset();
    }

    [Fact]
    public async Task Stream_VariedText_AssembledExactlyWithFinishReasonAndUsage()
    {
        var big = string.Concat(Enumerable.Repeat("0123456789abcdef", 4096));
        var chunks = new[] { "Héllo wörld ", "👋 日本語 ", "a \"quoted\" word,\nnew line\t tab \\ backslash ", big, " end" };
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(chunks, inputTokens: 21, outputTokens: 4242)));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "Say hello");

        Assert.Equal(string.Concat(chunks), OpenAIStreamingTests.Text(updates));
        Assert.Equal(new CompletionFinished(FinishReason.Stop, new TokenUsage(21, 4242, 0, 0)), updates[^1]);
        var request = Assert.Single(app.Upstream.Requests);
        Assert.Equal("/v1/messages", request.Path);
        Assert.Equal("Bearer " + ProvidersApp.AnthropicKey, request.Headers["Authorization"]);
        Assert.Equal("0", request.Headers["x-stainless-retry-count"]);
        Assert.Equal("claude-test", request.Json.GetProperty("model").GetString());
        Assert.Equal(400, request.Json.GetProperty("max_tokens").GetInt32());
        Assert.Contains("Say hello", request.Json.GetProperty("messages").GetRawText());
    }

    [Fact]
    public async Task Stream_MultiByteCharacterSplitAcrossWrites_AssembledExactly()
    {
        var frame = Encoding.UTF8.GetBytes("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"snow ☃ man\"}}\n\n");
        var split = Array.IndexOf(frame, (byte)0xE2) + 1;
        app.Upstream.Enqueue(FakeResponse.EventStream(
            AnthropicStream.MessageStart(),
            AnthropicStream.TextBlockStart(),
            FakeFrame.Bytes(frame[..split]),
            FakeFrame.Delay(TimeSpan.FromMilliseconds(50)),
            FakeFrame.Bytes(frame[split..]),
            AnthropicStream.BlockStop(),
            AnthropicStream.MessageDelta(),
            AnthropicStream.MessageStop));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "snow");

        Assert.Equal("snow ☃ man", OpenAIStreamingTests.Text(updates));
        Assert.IsType<CompletionFinished>(updates[^1]);
    }

    [Theory]
    [InlineData("max_tokens", FinishReason.Length)]
    [InlineData("end_turn", FinishReason.Stop)]
    [InlineData("stop_sequence", FinishReason.Stop)]
    public async Task Stream_StopReason_Mapped(string wire, FinishReason expected)
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["x"], stopReason: wire)));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal(new CompletionFinished(expected, new TokenUsage(11, 7, 0, 0)), updates[^1]);
    }

    [Fact]
    public async Task Stream_Thinking_KeptApartFromText()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            AnthropicStream.MessageStart(),
            AnthropicStream.ThinkingBlockStart(0),
            AnthropicStream.ThinkingDelta("Let me think. ", 0),
            AnthropicStream.ThinkingDelta("Done thinking.", 0),
            AnthropicStream.BlockStop(0),
            AnthropicStream.TextBlockStart(1),
            AnthropicStream.TextDelta("The answer.", 1),
            AnthropicStream.BlockStop(1),
            AnthropicStream.MessageDelta(),
            AnthropicStream.MessageStop));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "think");

        Assert.Equal("Let me think. Done thinking.", string.Concat(updates.OfType<CompletionReasoning>().Select(r => r.Text)));
        Assert.Equal("The answer.", OpenAIStreamingTests.Text(updates));
        Assert.IsType<CompletionFinished>(updates[^1]);
    }

    [Fact]
    public async Task Stream_ErrorEventAfterText_FailsAfterTheTextAndIsNotRetried()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("partial "), AnthropicStream.TextDelta("answer"),
            AnthropicStream.Error("Overloaded", "overloaded_error")));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal([new CompletionText("partial "), new CompletionText("answer")], updates[..^1]);
        var failed = Assert.IsType<CompletionFailed>(updates[^1]);
        // The usage message_start reported survives the failure.
        Assert.Equal(new CompletionFailed(CompletionErrorCode.Unavailable, ProviderErrors.UnavailableMessage, new TokenUsage(11, 1, 0, 0)), failed);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_RateLimitedBeforeFirstChunk_RetriedThenSucceeds()
    {
        app.Upstream.Enqueue(FakeResponse.Json(429, AnthropicStream.ErrorBody("Number of request tokens has exceeded your rate limit.", "rate_limit_error")));
        app.Upstream.Enqueue(FakeResponse.Json(529, AnthropicStream.ErrorBody("Overloaded", "overloaded_error")));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["after ", "retries"])));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal("after retries", OpenAIStreamingTests.Text(updates));
        Assert.IsType<CompletionFinished>(updates[^1]);
        Assert.Equal(3, app.Upstream.Requests.Count);
    }

    [Fact]
    public async Task Stream_Unauthorized_NotRetriedAndMapped()
    {
        app.Upstream.Enqueue(FakeResponse.Json(401, AnthropicStream.ErrorBody("invalid x-api-key", "authentication_error")));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        var failed = Assert.IsType<CompletionFailed>(Assert.Single(updates));
        Assert.Equal(new CompletionFailed(CompletionErrorCode.Unauthorized, ProviderErrors.UnauthorizedMessage), failed);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_StallPastIdleTimeout_FailsTimeoutAndClosesUpstream()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("so far"), FakeFrame.Stall));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal([new CompletionText("so far")], updates[..^1]);
        Assert.Equal(CompletionErrorCode.Timeout, Assert.IsType<CompletionFailed>(updates[^1]).Code);
        await app.Upstream.Requests[0].ClientGone.WaitAsync(Generous);
    }

    [Fact]
    public async Task Stream_EndsWithoutMessageStop_FailsTruncated()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("cut "), AnthropicStream.TextDelta("short"),
            AnthropicStream.BlockStop(), AnthropicStream.MessageDelta()));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal("cut short", OpenAIStreamingTests.Text(updates));
        Assert.Equal(CompletionErrorCode.Truncated, Assert.IsType<CompletionFailed>(updates[^1]).Code);
    }

    [Fact]
    public async Task Stream_AbruptDisconnect_FailsTruncatedAfterText()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("before the cut"),
            FakeFrame.Delay(TimeSpan.FromMilliseconds(300)), FakeFrame.Disconnect));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal([new CompletionText("before the cut")], updates[..^1]);
        Assert.Equal(CompletionErrorCode.Truncated, Assert.IsType<CompletionFailed>(updates[^1]).Code);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_ConsumerCancels_ThrowsAndUpstreamSeesTheConnectionClose()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.MessageStart(), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("first"), FakeFrame.Stall));
        using var cancellation = new CancellationTokenSource();

        var received = new List<CompletionUpdate>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in app.CreateStream(ProvidersApp.AnthropicModel, "go", cancellation.Token))
            {
                received.Add(update);
                await cancellation.CancelAsync();
            }
        });

        Assert.Equal([new CompletionText("first")], received);
        await app.Upstream.Requests[0].ClientGone.WaitAsync(Generous);
    }
}
