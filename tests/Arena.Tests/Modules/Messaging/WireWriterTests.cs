using System.Buffers;
using System.Text;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Arena.Modules.Providers.Contracts;

namespace Arena.Tests.Modules.Messaging;

public sealed class WireWriterTests
{
    private const string Tricky = "q\"uote\\ new\nline tab\t é ü 中文 😀 <b>&";
    private const string TrickyJson = "q\\\"uote\\\\ new\\nline tab\\t é ü 中文 \\uD83D\\uDE00 <b>&";

    [Fact]
    public void DataWireWriter_EveryEvent_WritesTheOldServiceLines()
    {
        var writer = new DataWireWriter();
        var output = new ArrayBufferWriter<byte>();
        var message = Guid.Parse("0194a5e2-0000-7000-8000-000000000001");

        Assert.False(writer.Write(new StreamStarted(Participant.A, message, "m"), output));
        Assert.True(writer.Write(new StreamDelta(Participant.A, Tricky), output));
        Assert.True(writer.Write(new StreamDelta(Participant.B, ""), output));
        Assert.True(writer.Write(new StreamFailed(Participant.B, "rate_limited", "Slow \"down\""), output));
        Assert.True(writer.Write(new StreamFinished(Participant.B, "error", null, null, 5, Stored: false), output));
        Assert.True(writer.Write(new StreamFinished(Participant.A, "stop", new TokenUsage(12, 345), 10, 20, Stored: true), output));
        Assert.False(writer.Write(StreamKeepAlive.Instance, output));
        Assert.False(writer.WriteEnd(output));

        Assert.Equal(
            $"a0:{{\"content\":\"{TrickyJson}\"}}\n" +
            "b0:{\"content\":\"\"}\n" +
            "b3:{\"error\":{\"code\":\"rate_limited\",\"message\":\"Slow \\\"down\\\"\"}}\n" +
            "bd:{\"finishReason\":\"error\",\"usage\":null,\"stored\":false}\n" +
            "ad:{\"finishReason\":\"stop\",\"usage\":{\"promptTokens\":12,\"completionTokens\":345,\"cacheReadTokens\":null,\"cacheWriteTokens\":null,\"reasoningTokens\":null},\"stored\":true}\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void SseWireWriter_EveryEvent_WritesNumberedSnakeCaseEvents()
    {
        var writer = new SseWireWriter();
        var output = new ArrayBufferWriter<byte>();
        var message = Guid.Parse("0194a5e2-0000-7000-8000-000000000001");

        Assert.True(writer.Write(new StreamStarted(Participant.B, message, "mock-sage"), output));
        Assert.True(writer.Write(new StreamDelta(Participant.B, Tricky), output));
        Assert.True(writer.Write(StreamKeepAlive.Instance, output));
        Assert.True(writer.Write(new StreamFailed(Participant.B, "unavailable", "down"), output));
        Assert.True(writer.Write(new StreamFinished(Participant.B, "error", null, null, 7, Stored: false), output));
        Assert.True(writer.Write(new StreamFinished(Participant.A, "length", new TokenUsage(1, 2), 3, 4, Stored: true), output));
        Assert.True(writer.WriteEnd(output));

        Assert.Equal(
            "id: 1\nevent: start\ndata: {\"participant\":\"b\",\"message_id\":\"0194a5e2-0000-7000-8000-000000000001\",\"model\":\"mock-sage\"}\n\n" +
            $"id: 2\nevent: delta\ndata: {{\"participant\":\"b\",\"content\":\"{TrickyJson}\"}}\n\n" +
            ": keep-alive\n\n" +
            "id: 3\nevent: error\ndata: {\"participant\":\"b\",\"error\":{\"code\":\"unavailable\",\"message\":\"down\"}}\n\n" +
            "id: 4\nevent: finish\ndata: {\"participant\":\"b\",\"finish_reason\":\"error\",\"usage\":null,\"ttft_ms\":null,\"duration_ms\":7,\"stored\":false}\n\n" +
            "id: 5\nevent: finish\ndata: {\"participant\":\"a\",\"finish_reason\":\"length\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"cache_read_tokens\":null,\"cache_write_tokens\":null,\"reasoning_tokens\":null},\"ttft_ms\":3,\"duration_ms\":4,\"stored\":true}\n\n" +
            "id: 6\nevent: done\ndata: {}\n\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
