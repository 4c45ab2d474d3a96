using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

/// The messaging app with an Anthropic model beside the OpenAI-compatible one, both on the same fake upstream.
public sealed class LayoutWireApp : MessagingApp
{
    public const string Claude = UpstreamModels.Claude;

    private readonly UpstreamModels upstream;

    public LayoutWireApp()
        : this(new UpstreamModels(anthropic: true))
    {
    }

    private LayoutWireApp(UpstreamModels upstream)
        : base(upstream)
    {
        this.upstream = upstream;
    }

    public FakeUpstream Server => upstream.Server;
}

/// The OpenAI 2024 chunk layout, Anthropic padded JSON and Anthropic error events, from the wire to both protocols and the row.
public sealed class ProviderLayoutWireTests : IClassFixture<LayoutWireApp>
{
    private readonly LayoutWireApp app;

    public ProviderLayoutWireTests(LayoutWireApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_OpenAI2024WithoutUsage_BothProtocolsUsageNullAndStored(string pipeline)
    {
        using var client = app.As($"layout-2024-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.OpenAI2024WithoutUsage()));
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.OpenAI2024WithoutUsage()));

        var (_, data) = await MessagingApp.StreamAsync(client, session, "hi", pipeline: pipeline);
        var (_, sse) = await MessagingApp.StreamAsync(client, session, "again", protocol: "sse", pipeline: pipeline);

        Assert.Equal(
            ["a0:{\"content\":\"Bonjour\"}", "a0:{\"content\":\" à tous\"}", "ad:{\"finishReason\":\"length\",\"usage\":null,\"stored\":true}"],
            data.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var events = Events(sse);
        Assert.Equal(["start", "delta", "delta", "finish", "done"], events.Select(e => e.Event));
        Assert.Equal("""{"participant":"a","content":" à tous"}""", events[2].Data);
        Assert.StartsWith("""{"participant":"a","finish_reason":"length","usage":null,""", events[3].Data);

        var messages = await app.MessagesAsync(client, session);
        foreach (var reply in new[] { messages[1], messages[3] })
        {
            Assert.Equal("Bonjour à tous", reply.GetProperty("content").GetString());
            Assert.Equal(JsonValueKind.Null, reply.GetProperty("reasoning").ValueKind);
            Assert.Equal("success", reply.GetProperty("status").GetString());
            var metadata = reply.GetProperty("metadata");
            Assert.Equal("length", metadata.GetProperty("finish_reason").GetString());
            Assert.Equal(JsonValueKind.Null, metadata.GetProperty("usage").ValueKind);
            Assert.Equal(JsonValueKind.Null, metadata.GetProperty("error").ValueKind);
            Assert.False(metadata.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null);
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_OpenAI2024UsageChunk_BothProtocolsUsageAsReportedAndStored(string pipeline)
    {
        using var client = app.As($"layout-2024u-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.OpenAI2024WithUsage()));
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.OpenAI2024WithUsage()));

        var (_, data) = await MessagingApp.StreamAsync(client, session, "hi", pipeline: pipeline);
        var (_, sse) = await MessagingApp.StreamAsync(client, session, "again", protocol: "sse", pipeline: pipeline);

        Assert.Equal(
            [
                "a0:{\"content\":\"Bonjour\"}", "a0:{\"content\":\" à tous\"}",
                "ad:{\"finishReason\":\"stop\",\"usage\":{\"promptTokens\":12,\"completionTokens\":5,\"cacheReadTokens\":null,\"cacheWriteTokens\":null,\"reasoningTokens\":null},\"stored\":true}",
            ],
            data.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var events = Events(sse);
        Assert.Equal(["start", "delta", "delta", "finish", "done"], events.Select(e => e.Event));
        Assert.StartsWith(
            """{"participant":"a","finish_reason":"stop","usage":{"prompt_tokens":12,"completion_tokens":5,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null},""",
            events[3].Data);

        var messages = await app.MessagesAsync(client, session);
        foreach (var reply in new[] { messages[1], messages[3] })
        {
            Assert.Equal("Bonjour à tous", reply.GetProperty("content").GetString());
            Assert.Equal("success", reply.GetProperty("status").GetString());
            Assert.Equal("stop", reply.GetProperty("metadata").GetProperty("finish_reason").GetString());
            Assert.Equal(
                """{"prompt_tokens":12,"completion_tokens":5,"cache_read_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null}""",
                Compact(reply.GetProperty("metadata").GetProperty("usage")));
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_AnthropicPaddedJson_BothProtocolsReasoningTextUsageAndStored(string pipeline)
    {
        using var client = app.As($"layout-padded-{pipeline}");
        var session = await app.CreateSessionAsync(client, LayoutWireApp.Claude);
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.AnthropicPaddedJson()));
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.AnthropicPaddedJson()));

        var (_, data) = await MessagingApp.StreamAsync(client, session, "pad", pipeline: pipeline);
        var (_, sse) = await MessagingApp.StreamAsync(client, session, "again", protocol: "sse", pipeline: pipeline);

        Assert.Equal(
            [
                "ag:{\"content\":\"Spaces  stay,\\nlines too.\"}",
                "a0:{\"content\":\"  Hello,\\n\"}",
                "a0:{\"content\":\"\\tworld.  \"}",
                "ad:{\"finishReason\":\"length\",\"usage\":{\"promptTokens\":25,\"completionTokens\":42,\"cacheReadTokens\":3,\"cacheWriteTokens\":7,\"reasoningTokens\":null},\"stored\":true}",
            ],
            data.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var events = Events(sse);
        Assert.Equal(["start", "reasoning", "delta", "delta", "finish", "done"], events.Select(e => e.Event));
        Assert.Equal("""{"participant":"a","content":"Spaces  stay,\nlines too."}""", events[1].Data);
        Assert.StartsWith(
            """{"participant":"a","finish_reason":"length","usage":{"prompt_tokens":25,"completion_tokens":42,"cache_read_tokens":3,"cache_write_tokens":7,"reasoning_tokens":null},""",
            events[4].Data);

        var messages = await app.MessagesAsync(client, session);
        foreach (var reply in new[] { messages[1], messages[3] })
        {
            Assert.Equal("  Hello,\n\tworld.  ", reply.GetProperty("content").GetString());
            Assert.Equal("Spaces  stay,\nlines too.", reply.GetProperty("reasoning").GetString());
            Assert.Equal("success", reply.GetProperty("status").GetString());
            Assert.Equal("length", reply.GetProperty("metadata").GetProperty("finish_reason").GetString());
            Assert.Equal(
                """{"prompt_tokens":25,"completion_tokens":42,"cache_read_tokens":3,"cache_write_tokens":7,"reasoning_tokens":null}""",
                Compact(reply.GetProperty("metadata").GetProperty("usage")));
        }
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_AnthropicOverloadedAfterContent_BothProtocolsErrorPartialAndUsageStored(string pipeline)
    {
        using var client = app.As($"layout-err-after-{pipeline}");
        var session = await app.CreateSessionAsync(client, LayoutWireApp.Claude);
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.AnthropicErrorAfterContent()));
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.AnthropicErrorAfterContent()));

        var (_, data) = await MessagingApp.StreamAsync(client, session, "go", pipeline: pipeline);
        var (_, sse) = await MessagingApp.StreamAsync(client, session, "again", protocol: "sse", pipeline: pipeline);

        var lines = data.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["a0:{\"content\":\"Half of \"}", "a0:{\"content\":\"it\"}"], lines[..2]);
        Assert.Equal(4, lines.Length);
        var error = JsonDocument.Parse(lines[2][3..]).RootElement.GetProperty("error");
        Assert.StartsWith("a3:", lines[2], StringComparison.Ordinal);
        Assert.Equal("unavailable", error.GetProperty("code").GetString());
        Assert.DoesNotContain("10.9.8.7", data, StringComparison.Ordinal);
        Assert.Equal(
            "ad:{\"finishReason\":\"error\",\"usage\":{\"promptTokens\":25,\"completionTokens\":1,\"cacheReadTokens\":0,\"cacheWriteTokens\":0,\"reasoningTokens\":null},\"stored\":true}",
            lines[3]);
        var events = Events(sse);
        Assert.Equal(["start", "delta", "delta", "error", "finish", "done"], events.Select(e => e.Event));
        var sseError = JsonDocument.Parse(events[3].Data).RootElement.GetProperty("error");
        Assert.Equal("unavailable", sseError.GetProperty("code").GetString());
        Assert.Equal(error.GetProperty("message").GetString(), sseError.GetProperty("message").GetString());
        Assert.DoesNotContain("10.9.8.7", sse, StringComparison.Ordinal);
        Assert.StartsWith(
            """{"participant":"a","finish_reason":"error","usage":{"prompt_tokens":25,"completion_tokens":1,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":null},""",
            events[4].Data);

        var messages = await app.MessagesAsync(client, session);
        foreach (var reply in new[] { messages[1], messages[3] })
        {
            Assert.Equal("Half of it", reply.GetProperty("content").GetString());
            Assert.Equal(JsonValueKind.Null, reply.GetProperty("reasoning").ValueKind);
            Assert.Equal("error", reply.GetProperty("status").GetString());
            var metadata = reply.GetProperty("metadata");
            Assert.Equal("error", metadata.GetProperty("finish_reason").GetString());
            Assert.Equal("unavailable", metadata.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(error.GetProperty("message").GetString(), metadata.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal(
                """{"prompt_tokens":25,"completion_tokens":1,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":null}""",
                Compact(metadata.GetProperty("usage")));
        }

        Assert.Equal(2, app.Server.Requests.Count);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_AnthropicOverloadedBeforeContent_RetriedThenBothProtocolsErrorOnlyAndStored(string pipeline)
    {
        using var client = app.As($"layout-err-before-{pipeline}");
        var session = await app.CreateSessionAsync(client, LayoutWireApp.Claude);
        for (var i = 0; i < 6; i++)
        {
            app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.AnthropicErrorBeforeContent()));
        }

        var (_, data) = await MessagingApp.StreamAsync(client, session, "go", pipeline: pipeline);
        var (_, sse) = await MessagingApp.StreamAsync(client, session, "again", protocol: "sse", pipeline: pipeline);

        var lines = data.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("a3:", lines[0], StringComparison.Ordinal);
        var error = JsonDocument.Parse(lines[0][3..]).RootElement.GetProperty("error");
        Assert.Equal("unavailable", error.GetProperty("code").GetString());
        Assert.DoesNotContain("10.9.8.7", data, StringComparison.Ordinal);
        Assert.Equal(
            "ad:{\"finishReason\":\"error\",\"usage\":{\"promptTokens\":25,\"completionTokens\":1,\"cacheReadTokens\":0,\"cacheWriteTokens\":0,\"reasoningTokens\":null},\"stored\":true}",
            lines[1]);
        var events = Events(sse);
        Assert.Equal(["start", "error", "finish", "done"], events.Select(e => e.Event));
        Assert.Equal(error.GetProperty("message").GetString(), JsonDocument.Parse(events[1].Data).RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.DoesNotContain("10.9.8.7", sse, StringComparison.Ordinal);

        var messages = await app.MessagesAsync(client, session);
        foreach (var reply in new[] { messages[1], messages[3] })
        {
            Assert.Equal("", reply.GetProperty("content").GetString());
            Assert.Equal("error", reply.GetProperty("status").GetString());
            var metadata = reply.GetProperty("metadata");
            Assert.Equal("error", metadata.GetProperty("finish_reason").GetString());
            Assert.Equal("unavailable", metadata.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(
                """{"prompt_tokens":25,"completion_tokens":1,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":null}""",
                Compact(metadata.GetProperty("usage")));
        }

        Assert.Equal(6, app.Server.Requests.Count);
    }

    private static List<(string Event, string Data)> Events(string body) => body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
        .Where(e => !e.StartsWith(':') && !e.StartsWith("retry:", StringComparison.Ordinal))
        .Select(e => e.Split('\n'))
        .Select(lines => (Event: lines[1]["event: ".Length..], Data: lines[2]["data: ".Length..]))
        .ToList();

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element, Relaxed);
}
