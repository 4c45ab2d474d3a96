using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Streaming;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

/// Reasoning, usage, tool calls and error frames as the providers send them, in their exact layouts, through the real SDKs.
public sealed class ProviderFidelityTests : IClassFixture<ProvidersApp>
{
    private readonly ProvidersApp app;

    public ProviderFidelityTests(ProvidersApp app)
    {
        this.app = app;
        app.Upstream.Reset();
    }

    /// Anthropic's extended-thinking documentation example, docs-style spaced JSON: no usage in message_start nor message_delta.
    public static IEnumerable<FakeFrame> AnthropicThinkingWithoutUsage() =>
    [
        FakeFrame.Text("event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-test\", \"stop_reason\": null, \"stop_sequence\": null}}\n\n"),
        FakeFrame.Text("event: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"thinking\", \"thinking\": \"\"}}\n\n"),
        FakeFrame.Text("event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\", \"thinking\": \"I need to find the GCD of 1071 and 462.\"}}\n\n"),
        FakeFrame.Text("event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"signature_delta\", \"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"),
        FakeFrame.Text("event: content_block_stop\ndata: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"),
        FakeFrame.Text("event: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": 1, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n"),
        FakeFrame.Text("event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": \"text_delta\", \"text\": \"The GCD is 21.\"}}\n\n"),
        FakeFrame.Text("event: content_block_stop\ndata: {\"type\": \"content_block_stop\", \"index\": 1}\n\n"),
        FakeFrame.Text("event: message_delta\ndata: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null}}\n\n"),
        FakeFrame.Text("event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n"),
    ];

    public static IEnumerable<FakeFrame> AnthropicToolUse() =>
    [
        FakeFrame.Text("event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_t\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":3391,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":1920,\"output_tokens\":1}}}\r\n\r\n"),
        FakeFrame.Text("event: future_event\r\ndata: {\"type\":\"future_event\",\"text\":\"must not leak\"}\r\n\r\n"),
        FakeFrame.Text("event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"hologram\",\"text\":\"must not leak\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"),
        FakeFrame.Text("event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking.\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":1}\r\n\r\n"),
        FakeFrame.Text("event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{}}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"locat\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ion\\\": \\\"Paris\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"}\"}}\r\n\r\n"),
        FakeFrame.Text("event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":2}\r\n\r\n"),
        FakeFrame.Text("event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\r\n\r\n"),
        FakeFrame.Text("event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n"),
    ];

    /// OpenAI's current layout: service_tier, obfuscation, "usage": null on every chunk; arguments cut anywhere.
    public static IEnumerable<FakeFrame> OpenAIToolCalls() =>
    [
        FakeFrame.Text("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"ab\"}\n\n"),
        FakeFrame.Text("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"lo\"}}]},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"cd\"}\n\n"),
        FakeFrame.Text("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"ef\"}\n\n"),
        FakeFrame.Text("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"cation\\\": \\\"Paris\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"obfuscation\":\"gh\"}\n\n"),
        FakeFrame.Text("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],\"usage\":null,\"obfuscation\":\"ij\"}\n\n"),
        FakeFrame.Text("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"service_tier\":\"default\",\"system_fingerprint\":null,\"choices\":[],\"usage\":{\"prompt_tokens\":82,\"completion_tokens\":41,\"total_tokens\":123,\"prompt_tokens_details\":{\"cached_tokens\":64,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":16,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},\"obfuscation\":\"kl\"}\n\n"),
        FakeFrame.Text("data: [DONE]\n\n"),
    ];

    /// Older Ollama: delta.reasoning, Go's \u0026 escapes, vLLM-style usage on every chunk (the last one wins).
    public static IEnumerable<FakeFrame> OllamaReasoning() =>
    [
        FakeFrame.Text("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"qwen3\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"Tom \\u0026 Jerry \\u003c3\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1,\"total_tokens\":10}}\n\n"),
        FakeFrame.Text("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"qwen3\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"A \\u0026 B\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n"),
        FakeFrame.Text("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"qwen3\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}\n\n"),
        FakeFrame.Text("data: [DONE]\n\n"),
    ];

    [Fact]
    public async Task Stream_AnthropicThinkingWithoutUsage_ReasoningAndAnswerKeptAndUsageNull()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicThinkingWithoutUsage()));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "gcd");

        Assert.Equal(
            [new CompletionReasoning("I need to find the GCD of 1071 and 462."), new CompletionText("The GCD is 21."), new CompletionFinished(FinishReason.Stop, null)],
            updates);
    }

    [Fact]
    public async Task Stream_AnthropicToolUseCrlfUnknownEventsAndCache_ToolCallExactUsageAsReported()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicToolUse()));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "weather");

        Assert.Equal(
            [
                new CompletionText("Checking."),
                new CompletionToolCall("toolu_01", "get_weather", "{\"location\": \"Paris\"}"),
                new CompletionFinished(FinishReason.ToolCalls, new TokenUsage(3391, 89, 1920, 0)),
            ],
            updates);
    }

    [Fact]
    public async Task Stream_OpenAIFragmentedToolCalls_JoinedPerIndexWithDetailedUsage()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIToolCalls()));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "weather");

        Assert.Equal(
            [
                new CompletionToolCall("call_A", "get_weather", "{\"location\": \"Paris\"}"),
                new CompletionToolCall("call_B", "get_time", "{}"),
                new CompletionFinished(FinishReason.ToolCalls, new TokenUsage(82, 41, 64, null, 16)),
            ],
            updates);
    }

    [Fact]
    public async Task Stream_OllamaReasoningWithGoEscapesAndContinuousUsage_LastUsageWins()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OllamaReasoning()));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "tom");

        Assert.Equal(
            [new CompletionReasoning("Tom & Jerry <3"), new CompletionText("A & B"), new CompletionFinished(FinishReason.Stop, new TokenUsage(9, 3))],
            updates);
    }

    [Fact]
    public async Task Stream_OpenRouterErrorChunkWithFinishReasonError_MappedWithFixedTextAfterKeepAlives()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            OpenAIStream.Comment(),
            OpenAIStream.Role(),
            OpenAIStream.Content("Half an "),
            OpenAIStream.Comment(),
            FakeFrame.Text("data: {\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"provider\":\"OpenAI\",\"error\":{\"code\":502,\"message\":\"Upstream org-Secret123 at 10.1.2.3:8080 failed\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\",\"native_finish_reason\":\"error\"}]}\n\n"),
            OpenAIStream.Done));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionText("Half an "), new CompletionFailed(CompletionErrorCode.Unavailable, ProviderErrors.UnavailableMessage)], updates);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_FinishReasonErrorWithoutErrorObject_FailsUnknownWithFixedText()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("so "), OpenAIStream.Finish("error"), OpenAIStream.Done));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionText("so "), new CompletionFailed(CompletionErrorCode.Unknown, ProviderErrors.UnknownMessage)], updates);
    }

    [Fact]
    public async Task Stream_OpenAIServerErrorFrameBeforeContent_RetriedLikeAnthropicOverloaded()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Error("The server had an error while processing your request.", "server_error")));
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["second ", "try"])));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Error("Overloaded", "overloaded_error")));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["second ", "try"])));

        var openAi = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");
        var anthropic = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal("second try", OpenAIStreamingTests.Text(openAi));
        Assert.IsType<CompletionFinished>(openAi[^1]);
        Assert.Equal("second try", OpenAIStreamingTests.Text(anthropic));
        Assert.IsType<CompletionFinished>(anthropic[^1]);
        Assert.Equal(4, app.Upstream.Requests.Count);
    }

    [Fact]
    public async Task Stream_RateLimitedWithOrganizationId_FixedTextAndProviderTextOnlyInLog()
    {
        var body = """{"error":{"message":"Rate limit reached for gpt-4o in organization org-AbCdEf123 on tokens per min (TPM): Limit 30000.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}""";
        for (var i = 0; i < 3; i++)
        {
            app.Upstream.Enqueue(FakeResponse.Json(429, body) with { Headers = new Dictionary<string, string> { ["retry-after-ms"] = "20" } });
        }

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionFailed(CompletionErrorCode.RateLimited, ProviderErrors.RateLimitedMessage)], updates);
        Assert.Contains(app.Logs.Lines, line => line.Contains("org-AbCdEf123", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_RetryAfterMs_SecondAttemptWaitsAtLeastThatLong()
    {
        app.Upstream.Enqueue(FakeResponse.Json(429, """{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}""") with
        {
            Headers = new Dictionary<string, string> { ["retry-after-ms"] = "700", ["retry-after"] = "1" },
        });
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["ok"])));

        var stream = app.StreamAsync(ProvidersApp.OpenAIModel, "go");
        await app.Upstream.NextRequestAsync(TimeSpan.FromSeconds(15));
        var first = System.Diagnostics.Stopwatch.StartNew();
        await app.Upstream.NextRequestAsync(TimeSpan.FromSeconds(15));
        var waited = first.Elapsed;
        var updates = await stream;

        Assert.Equal("ok", OpenAIStreamingTests.Text(updates));
        // A lower bound only: the configured backoff is 50 ms, so anything near 700 ms came from the header.
        Assert.True(waited >= TimeSpan.FromMilliseconds(600), $"retried after {waited.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Stream_RetryAfterBeyondBudget_NotRetried()
    {
        app.Upstream.Enqueue(FakeResponse.Json(429, """{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}""") with
        {
            Headers = new Dictionary<string, string> { ["retry-after"] = "3600" },
        });
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "go");

        Assert.Equal([new CompletionFailed(CompletionErrorCode.RateLimited, ProviderErrors.RateLimitedMessage)], updates);
        Assert.Single(app.Upstream.Requests);
    }

    [Fact]
    public async Task Stream_UsageThenAnthropicBreaksOff_UsageKept()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(
            AnthropicStream.MessageStart(inputTokens: 40), AnthropicStream.TextBlockStart(), AnthropicStream.TextDelta("cut "),
            FakeFrame.Delay(TimeSpan.FromMilliseconds(300)), FakeFrame.Disconnect));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        var failed = Assert.IsType<CompletionFailed>(updates[^1]);
        Assert.Equal(CompletionErrorCode.Truncated, failed.Code);
        Assert.Equal(new TokenUsage(40, 1, 0, 0), failed.Usage);
    }

    public static TheoryData<string> Layouts => ["anthropic-thinking", "anthropic-tools", "openai-tools", "ollama", "openai-70k"];

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Stream_CutIntoRandomPiecesAndSingleBytes_SameResult(string layout)
    {
        var (model, frames) = Layout(layout);
        app.Upstream.Enqueue(FakeResponse.EventStream(frames));
        var whole = await app.StreamAsync(model, "go");

        foreach (var seed in new[] { 1, 2, 3 })
        {
            app.Upstream.Enqueue(FakeResponse.EventStream(FakePieces.Random(frames, seed)));
            Assert.Equal(Merged(whole), Merged(await app.StreamAsync(model, "go")));
        }

        if (layout != "openai-70k")
        {
            app.Upstream.Enqueue(FakeResponse.EventStream(FakePieces.OneByteAtATime(frames)));
            Assert.Equal(Merged(whole), Merged(await app.StreamAsync(model, "go")));
        }
    }

    private static (string Model, FakeFrame[] Frames) Layout(string name) => name switch
    {
        "anthropic-thinking" => (ProvidersApp.AnthropicModel, [.. AnthropicThinkingWithoutUsage()]),
        "anthropic-tools" => (ProvidersApp.AnthropicModel, [.. AnthropicToolUse()]),
        "openai-tools" => (ProvidersApp.OpenAIModel, [.. OpenAIToolCalls()]),
        "ollama" => (ProvidersApp.OpenAIModel, [.. OllamaReasoning()]),
        _ => (ProvidersApp.OpenAIModel, [.. OpenAIStream.Completion(["a", new string('é', 35_000), "z"])]),
    };

    // How the pieces were cut may change how text is split into updates, never what it adds up to.
    private static List<string> Merged(List<CompletionUpdate> updates)
    {
        var merged = new List<string>();
        foreach (var update in updates)
        {
            var (kind, text) = update switch
            {
                CompletionText t => ("text", t.Text),
                CompletionReasoning r => ("reasoning", r.Text),
                _ => (update.ToString(), ""),
            };
            if (merged.Count > 0 && merged[^1].StartsWith(kind + ":", StringComparison.Ordinal) && kind is "text" or "reasoning")
            {
                merged[^1] += text;
            }
            else
            {
                merged.Add(kind + ":" + text);
            }
        }

        return merged;
    }
}
