using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Arena.Modules.Providers.Streaming;

/// Works around the Anthropic SDK (13.12) throwing <c>'usage' cannot be absent</c> when a <c>message_start</c> or
/// <c>message_delta</c> event carries no <c>usage</c>, as Anthropic's own extended-thinking example does: the SDK models
/// <c>usage</c> and its <c>input_tokens</c>/<c>output_tokens</c> as required, and its IChatClient reads them, so the
/// whole reply failed although it arrived complete. This fills the missing counts with <see cref="NotReported"/> before
/// the SDK parses the event; <see cref="CompletionState"/> reads that back as "not reported" (null), never as a count.
/// Only the data line after those two event lines is held back and rewritten; every other byte passes on as read.
internal sealed class AnthropicUsageFiller(Stream inner) : Stream
{
    public const long NotReported = -1;

    private readonly ArrayBufferWriter<byte> output = new(4096);
    private readonly ArrayBufferWriter<byte> held = new(1024);
    private readonly byte[] eventLine = new byte[32];
    private int eventLineLength;
    private bool holding;
    private int outputRead;
    private bool innerDone;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (outputRead == output.WrittenCount && !innerDone)
        {
            Reset();
            var read = inner.Read(buffer);
            Process(buffer[..read]);
        }

        return Drain(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (outputRead == output.WrittenCount && !innerDone)
        {
            Reset();
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Process(buffer.Span[..read]);
        }

        return Drain(buffer.Span);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// Adds what a <c>message_start</c> or <c>message_delta</c> payload lacks; null when it lacks nothing (or is not one).
    internal static string? Fill(ReadOnlySpan<byte> payload)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(payload);
        }
        catch (JsonException)
        {
            return null;
        }

        if (root is not JsonObject data)
        {
            return null;
        }

        var type = data["type"] is JsonValue value && value.TryGetValue<string>(out var name) ? name : null;
        var changed = type switch
        {
            "message_start" when data["message"] is JsonObject message => FillUsage(message, "input_tokens", "output_tokens"),
            "message_delta" => FillUsage(data, "output_tokens"),
            _ => false,
        };
        return changed ? data.ToJsonString() : null;
    }

    private static bool FillUsage(JsonObject owner, params string[] required)
    {
        var changed = false;
        if (owner["usage"] is not JsonObject usage)
        {
            usage = [];
            owner["usage"] = usage;
            changed = true;
        }

        foreach (var name in required)
        {
            if (usage[name] is null)
            {
                usage[name] = NotReported;
                changed = true;
            }
        }

        return changed;
    }

    private void Reset()
    {
        output.ResetWrittenCount();
        outputRead = 0;
    }

    private int Drain(Span<byte> buffer)
    {
        var pending = output.WrittenSpan[outputRead..];
        var count = Math.Min(pending.Length, buffer.Length);
        pending[..count].CopyTo(buffer);
        outputRead += count;
        return count;
    }

    private void Process(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            innerDone = true;
            if (held.WrittenCount > 0)
            {
                output.Write(held.WrittenSpan);
                held.ResetWrittenCount();
            }

            return;
        }

        while (!bytes.IsEmpty)
        {
            var newline = bytes.IndexOf((byte)'\n');
            var line = newline < 0 ? bytes : bytes[..(newline + 1)];
            bytes = bytes[line.Length..];
            if (holding)
            {
                held.Write(line);
                if (newline >= 0)
                {
                    holding = false;
                    ReleaseHeld();
                }

                continue;
            }

            output.Write(line);
            TrackEventLine(line, newline >= 0);
        }
    }

    // Remembers the start of the current line, so that a complete "event: message_start" / "message_delta" line
    // (however it was split across reads) makes the next line held.
    private void TrackEventLine(ReadOnlySpan<byte> line, bool complete)
    {
        var room = eventLine.Length - eventLineLength;
        var part = line.Length > room ? line[..room] : line;
        part.CopyTo(eventLine.AsSpan(eventLineLength));
        eventLineLength += part.Length;
        if (!complete)
        {
            return;
        }

        var text = eventLine.AsSpan(0, eventLineLength).TrimEnd("\r\n"u8);
        eventLineLength = 0;
        if (text.StartsWith("event:"u8))
        {
            var name = text[6..].Trim((byte)' ');
            holding = name.SequenceEqual("message_start"u8) || name.SequenceEqual("message_delta"u8);
        }
    }

    private void ReleaseHeld()
    {
        var line = held.WrittenSpan;
        var body = line.TrimEnd("\r\n"u8);
        if (body.StartsWith("data:"u8) && Fill(body[5..].TrimStart((byte)' ')) is { } filled)
        {
            output.Write("data: "u8);
            System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, filled.AsSpan(), output);
            output.Write(line[body.Length..]);
        }
        else
        {
            output.Write(line);
        }

        held.ResetWrittenCount();
    }
}
