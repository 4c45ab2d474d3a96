using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

/// Reasoning, tool calls and detailed usage from a real provider stream to both wire protocols and the stored row.
public sealed class ProviderWireTests : IClassFixture<UpstreamMessagingApp>
{
    private readonly UpstreamMessagingApp app;

    public ProviderWireTests(UpstreamMessagingApp app)
    {
        this.app = app;
        app.Server.Reset();
    }

    public static IEnumerable<FakeFrame> ReasoningThenToolCall() =>
    [
        OpenAIStream.Role(),
        OpenAIStream.Reasoning("Think "),
        OpenAIStream.Reasoning("hard."),
        OpenAIStream.Content("Calling."),
        .. ProviderFidelityTests.OpenAIToolCalls(),
    ];

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_ReasoningWhileStreaming_PartialReasoningSavedAndKeptWhenTheClientLeaves(string pipeline)
    {
        using var client = app.As($"wire-partial-reasoning-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        // The second thought arrives after a partial-save interval (2 s by default), so it is offered while the reply streams.
        app.Server.Enqueue(FakeResponse.EventStream(
        [
            OpenAIStream.Role(),
            OpenAIStream.Reasoning("Weighing "),
            FakeFrame.Delay(TimeSpan.FromSeconds(2.5)),
            OpenAIStream.Reasoning("options."),
            FakeFrame.Stall,
        ]));

        var response = await client.SendAsync(MessagingApp.StreamRequest(session, "think", protocol: "sse", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead);
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            var thoughts = 0;
            while (thoughts < 2 && await reader.ReadLineAsync() is { } line)
            {
                thoughts += line == "event: reasoning" ? 1 : 0;
            }

            // Saved while the reply is still streaming, apart from the content.
            await Eventually.EqualAsync("streaming|Weighing options.|", async () =>
            {
                var reply = (await app.MessagesAsync(client, session))[1];
                return $"{reply.GetProperty("status").GetString()}|{reply.GetProperty("reasoning").GetString()}|{reply.GetProperty("content").GetString()}";
            });
        }

        response.Dispose();
        await Eventually.EqualAsync("cancelled|Weighing options.", async () =>
        {
            var reply = (await app.MessagesAsync(client, session))[1];
            return $"{reply.GetProperty("status").GetString()}|{reply.GetProperty("reasoning").GetString()}";
        });
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_Sse_ReasoningToolCallsAndUsageAsEventsAndStored(string pipeline)
    {
        using var client = app.As($"wire-sse-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(ReasoningThenToolCall()));

        var (_, body) = await MessagingApp.StreamAsync(client, session, "weather?", protocol: "sse", pipeline: pipeline);

        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => !e.StartsWith(':') && !e.StartsWith("retry:", StringComparison.Ordinal))
            .Select(e => e.Split('\n'))
            .Select(lines => (Event: lines[1]["event: ".Length..], Data: lines[2]["data: ".Length..]))
            .ToList();
        Assert.Equal(["start", "reasoning", "reasoning", "delta", "tool_call", "tool_call", "finish", "done"], events.Select(e => e.Event));
        Assert.Equal("""{"participant":"a","content":"Think "}""", events[1].Data);
        Assert.Equal("""{"participant":"a","id":"call_A","name":"get_weather","arguments":"{\"location\": \"Paris\"}"}""", events[4].Data);
        Assert.Equal("""{"participant":"a","id":"call_B","name":"get_time","arguments":"{}"}""", events[5].Data);
        Assert.StartsWith(
            """{"participant":"a","finish_reason":"tool_calls","usage":{"prompt_tokens":82,"completion_tokens":41,"cache_read_tokens":64,"cache_write_tokens":null,"reasoning_tokens":16},""",
            events[6].Data);

        var reply = (await app.MessagesAsync(client, session))[1];
        Assert.Equal("Calling.", reply.GetProperty("content").GetString());
        Assert.Equal("Think hard.", reply.GetProperty("reasoning").GetString());
        Assert.Equal("tool_calls", reply.GetProperty("status").GetString());
        var metadata = reply.GetProperty("metadata");
        Assert.Equal("tool_calls", metadata.GetProperty("finish_reason").GetString());
        Assert.Equal(
            """[{"id":"call_A","name":"get_weather","arguments":"{\"location\": \"Paris\"}"},{"id":"call_B","name":"get_time","arguments":"{}"}]""",
            Compact(metadata.GetProperty("tool_calls")));
        Assert.Equal(
            """{"prompt_tokens":82,"completion_tokens":41,"cache_read_tokens":64,"cache_write_tokens":null,"reasoning_tokens":16}""",
            Compact(metadata.GetProperty("usage")));
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task StreamMessage_Data_ReasoningAndToolCallPartsAndNullUsage(string pipeline)
    {
        using var client = app.As($"wire-data-{pipeline}");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(
            OpenAIStream.Role(), OpenAIStream.Reasoning("Hm."), OpenAIStream.Content("Hi"), OpenAIStream.Finish(), OpenAIStream.Done));

        var (_, body) = await MessagingApp.StreamAsync(client, session, "hi", pipeline: pipeline);

        Assert.Equal(
            ["ag:{\"content\":\"Hm.\"}", "a0:{\"content\":\"Hi\"}", "ad:{\"finishReason\":\"stop\",\"usage\":null,\"stored\":true}"],
            body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var reply = (await app.MessagesAsync(client, session))[1];
        Assert.Equal("Hm.", reply.GetProperty("reasoning").GetString());
        Assert.Equal(JsonValueKind.Null, reply.GetProperty("metadata").GetProperty("usage").ValueKind);
    }

    [Fact]
    public async Task StreamMessage_DataToolCall_PartCodeNine()
    {
        using var client = app.As("wire-data-tools");
        var session = await app.CreateSessionAsync(client, UpstreamMessagingApp.Upstream);
        app.Server.Enqueue(FakeResponse.EventStream(ProviderFidelityTests.OpenAIToolCalls()));

        var (_, body) = await MessagingApp.StreamAsync(client, session, "weather?");

        Assert.Equal(
            [
                "a9:{\"toolCallId\":\"call_A\",\"toolName\":\"get_weather\",\"args\":\"{\\\"location\\\": \\\"Paris\\\"}\"}",
                "a9:{\"toolCallId\":\"call_B\",\"toolName\":\"get_time\",\"args\":\"{}\"}",
                "ad:{\"finishReason\":\"tool_calls\",\"usage\":{\"promptTokens\":82,\"completionTokens\":41,\"cacheReadTokens\":64,\"cacheWriteTokens\":null,\"reasoningTokens\":16},\"stored\":true}",
            ],
            body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element, Relaxed);
}
