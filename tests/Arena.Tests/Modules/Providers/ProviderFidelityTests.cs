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

    /// Anthropic re-serialised by a proxy: every event's JSON pretty-printed over several <c>data:</c> lines (which SSE
    /// joins with newlines), with extra spaces and tabs before, inside and after it.
    public static IEnumerable<FakeFrame> AnthropicPaddedJson() =>
    [
        Padded("message_start", """{"type":"message_start","message":{"id":"msg_p","type":"message","role":"assistant","model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":7,"cache_read_input_tokens":3,"output_tokens":1}}}"""),
        Padded("ping", """{"type":"ping"}"""),
        Padded("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"""),
        Padded("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Spaces  stay,\nlines too."}}"""),
        Padded("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"""),
        Padded("content_block_stop", """{"type":"content_block_stop","index":0}"""),
        Padded("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"""),
        Padded("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"  Hello,\n"}}"""),
        Padded("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"\tworld.  "}}"""),
        Padded("content_block_stop", """{"type":"content_block_stop","index":1}"""),
        Padded("message_delta", """{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":42}}"""),
        Padded("message_stop", """{"type":"message_stop"}"""),
    ];

    private static FakeFrame Padded(string name, string json)
    {
        var pretty = System.Text.Json.Nodes.JsonNode.Parse(json)!.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        var lines = pretty.Split('\n').Select(line => "data:  \t" + line.Replace(": ", " :   ", StringComparison.Ordinal) + " \t");
        return FakeFrame.Text("event: " + name + "\ndata:\n" + string.Join("\n", lines) + "\ndata:   \n\n");
    }

    /// OpenAI's 2024 chunk layout, before service_tier and obfuscation: system_fingerprint, logprobs null, no usage key.
    private static FakeFrame OpenAI2024Chunk(string delta, string? finishReason) => FakeFrame.Text(
        "data: {\"id\":\"chatcmpl-9abc\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"gpt-4o-2024-05-13\",\"system_fingerprint\":\"fp_5e997b69d8\",\"choices\":[{\"index\":0,\"delta\":"
        + delta + ",\"logprobs\":null,\"finish_reason\":" + (finishReason is null ? "null" : "\"" + finishReason + "\"") + "}]}\n\n");

    /// Without stream_options.include_usage: no usage anywhere, so none is reported.
    public static IEnumerable<FakeFrame> OpenAI2024WithoutUsage() =>
    [
        OpenAI2024Chunk("{\"role\":\"assistant\",\"content\":\"\"}", null),
        OpenAI2024Chunk("{\"content\":\"Bonjour\"}", null),
        OpenAI2024Chunk("{\"content\":\" à tous\"}", null),
        OpenAI2024Chunk("{}", "length"),
        FakeFrame.Text("data: [DONE]\n\n"),
    ];

    /// With stream_options.include_usage (2024): a last chunk with empty choices carries the usage.
    public static IEnumerable<FakeFrame> OpenAI2024WithUsage() =>
    [
        OpenAI2024Chunk("{\"role\":\"assistant\",\"content\":\"\"}", null),
        OpenAI2024Chunk("{\"content\":\"Bonjour\"}", null),
        OpenAI2024Chunk("{\"content\":\" à tous\"}", null),
        OpenAI2024Chunk("{}", "stop"),
        FakeFrame.Text("data: {\"id\":\"chatcmpl-9abc\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"gpt-4o-2024-05-13\",\"system_fingerprint\":\"fp_5e997b69d8\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}\n\n"),
        FakeFrame.Text("data: [DONE]\n\n"),
    ];

    /// Anthropic overloaded before any content block: the error event right after message_start and a ping.
    public static IEnumerable<FakeFrame> AnthropicErrorBeforeContent() =>
    [
        AnthropicStream.MessageStart(inputTokens: 25),
        AnthropicStream.Ping,
        FakeFrame.Text("event: error\ndata: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\",\"message\":\"Overloaded at 10.9.8.7\"},\"request_id\":\"req_011\"}\n\n"),
    ];

    /// Anthropic overloaded in the middle of a text block, after content went out.
    public static IEnumerable<FakeFrame> AnthropicErrorAfterContent() =>
    [
        AnthropicStream.MessageStart(inputTokens: 25),
        AnthropicStream.TextBlockStart(),
        AnthropicStream.TextDelta("Half of "),
        AnthropicStream.TextDelta("it"),
        FakeFrame.Text("event: error\ndata: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\",\"message\":\"Overloaded at 10.9.8.7\"},\"request_id\":\"req_012\"}\n\n"),
    ];

    [Fact]
    public async Task Stream_AnthropicPaddedMultiLineJson_ReasoningTextAndUsageExact()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicPaddedJson()));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "pad");

        Assert.Equal(
            [
                new CompletionReasoning("Spaces  stay,\nlines too."),
                new CompletionText("  Hello,\n"),
                new CompletionText("\tworld.  "),
                new CompletionFinished(FinishReason.Length, new TokenUsage(25, 42, 3, 7)),
            ],
            updates);
    }

    [Fact]
    public async Task Stream_OpenAI2024LayoutWithoutUsageKey_TextAndUsageNull()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAI2024WithoutUsage()));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "hi");

        Assert.Equal([new CompletionText("Bonjour"), new CompletionText(" à tous"), new CompletionFinished(FinishReason.Length, null)], updates);
    }

    [Fact]
    public async Task Stream_OpenAI2024LayoutWithUsageChunk_UsageFromEmptyChoicesChunk()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAI2024WithUsage()));

        var updates = await app.StreamAsync(ProvidersApp.OpenAIModel, "hi");

        Assert.Equal([new CompletionText("Bonjour"), new CompletionText(" à tous"), new CompletionFinished(FinishReason.Stop, new TokenUsage(12, 5))], updates);
    }

    [Fact]
    public async Task Stream_AnthropicOverloadedBeforeContentEveryAttempt_RetriedThenUnavailableWithFixedText()
    {
        for (var i = 0; i < 3; i++)
        {
            app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicErrorBeforeContent()));
        }

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal([new CompletionFailed(CompletionErrorCode.Unavailable, ProviderErrors.UnavailableMessage, new TokenUsage(25, 1, 0, 0))], updates);
        Assert.Equal(3, app.Upstream.Requests.Count);
        // The provider's own words reach the log (its host masked there too), never the client.
        Assert.Contains(app.Logs.Lines, line => line.Contains("Overloaded at", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_AnthropicOverloadedAfterContent_NotRetriedPartialKeptUsageKept()
    {
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicErrorAfterContent()));
        app.Upstream.Enqueue(FakeResponse.EventStream(AnthropicStream.Completion(["must not be used"])));

        var updates = await app.StreamAsync(ProvidersApp.AnthropicModel, "go");

        Assert.Equal(
            [
                new CompletionText("Half of "),
                new CompletionText("it"),
                new CompletionFailed(CompletionErrorCode.Unavailable, ProviderErrors.UnavailableMessage, new TokenUsage(25, 1, 0, 0)),
            ],
            updates);
        Assert.Single(app.Upstream.Requests);
    }

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

    public static TheoryData<string> Layouts => [
        "anthropic-thinking", "anthropic-tools", "openai-tools", "ollama", "openai-70k",
        "anthropic-padded", "openai-2024", "openai-2024-usage", "anthropic-error-before", "anthropic-error-after",
    ];

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Stream_CutIntoRandomPiecesAndSingleBytes_SameResult(string layout)
    {
        var (model, frames) = Layout(layout);
        // A failure before content is retried, so every attempt needs its own copy of the stream.
        var attempts = layout == "anthropic-error-before" ? 3 : 1;
        Enqueue(attempts, () => frames);
        var whole = await app.StreamAsync(model, "go");

        foreach (var seed in new[] { 1, 2, 3 })
        {
            Enqueue(attempts, () => FakePieces.Random(frames, seed));
            Assert.Equal(Merged(whole), Merged(await app.StreamAsync(model, "go")));
        }

        if (layout != "openai-70k")
        {
            Enqueue(attempts, () => FakePieces.OneByteAtATime(frames));
            Assert.Equal(Merged(whole), Merged(await app.StreamAsync(model, "go")));
        }
    }

    private static (string Model, FakeFrame[] Frames) Layout(string name) => name switch
    {
        "anthropic-thinking" => (ProvidersApp.AnthropicModel, [.. AnthropicThinkingWithoutUsage()]),
        "anthropic-tools" => (ProvidersApp.AnthropicModel, [.. AnthropicToolUse()]),
        "openai-tools" => (ProvidersApp.OpenAIModel, [.. OpenAIToolCalls()]),
        "ollama" => (ProvidersApp.OpenAIModel, [.. OllamaReasoning()]),
        "anthropic-padded" => (ProvidersApp.AnthropicModel, [.. AnthropicPaddedJson()]),
        "openai-2024" => (ProvidersApp.OpenAIModel, [.. OpenAI2024WithoutUsage()]),
        "openai-2024-usage" => (ProvidersApp.OpenAIModel, [.. OpenAI2024WithUsage()]),
        "anthropic-error-before" => (ProvidersApp.AnthropicModel, [.. AnthropicErrorBeforeContent()]),
        "anthropic-error-after" => (ProvidersApp.AnthropicModel, [.. AnthropicErrorAfterContent()]),
        _ => (ProvidersApp.OpenAIModel, [.. OpenAIStream.Completion(["a", new string('é', 35_000), "z"])]),
    };

    private void Enqueue(int attempts, Func<IEnumerable<FakeFrame>> frames)
    {
        for (var i = 0; i < attempts; i++)
        {
            app.Upstream.Enqueue(FakeResponse.EventStream(frames()));
        }
    }

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
