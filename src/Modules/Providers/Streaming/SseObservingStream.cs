using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Arena.Modules.Providers.Streaming;

/// Passes bytes through untouched while looking at the start of each SSE line for the end marker or an error frame.
/// Only a bounded prefix of a line is kept (one buffer per stream), so a 64 KB chunk costs no extra allocation.
internal sealed class SseObservingStream(Stream inner, StreamObservation observation, SseEndMarker marker) : Stream
{
    private const int LinePrefixCapacity = 4096;

    private static readonly byte[] DoneLine = "data: [DONE]"u8.ToArray();
    private static readonly byte[] DoneLineCompact = "data:[DONE]"u8.ToArray();
    private static readonly byte[] MessageStopLine = "event: message_stop"u8.ToArray();
    private static readonly byte[] MessageStopLineCompact = "event:message_stop"u8.ToArray();
    private static readonly byte[] ErrorFramePrefix = "{\"error\""u8.ToArray();
    private static readonly byte[] ErrorName = "\"error\""u8.ToArray();
    private static readonly byte[] ReasoningName = "\"reasoning\""u8.ToArray();

    private readonly byte[] line = new byte[LinePrefixCapacity];
    private int lineLength;
    private bool lineOverflowed;

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
        var read = inner.Read(buffer);
        Observe(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // A read of a provider stream nearly always waits for the network, and each wait would allocate this method's state
    // machine, once per chunk of every stream. The pooled builder reuses them.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..read]);
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var newline = bytes.IndexOf((byte)'\n');
            var segment = newline < 0 ? bytes : bytes[..newline];
            Append(segment);
            if (newline < 0)
            {
                return;
            }

            CompleteLine();
            bytes = bytes[(newline + 1)..];
        }
    }

    private void Append(ReadOnlySpan<byte> segment)
    {
        var room = LinePrefixCapacity - lineLength;
        if (segment.Length > room)
        {
            lineOverflowed = true;
            segment = segment[..room];
        }

        segment.CopyTo(line.AsSpan(lineLength));
        lineLength += segment.Length;
    }

    private void CompleteLine()
    {
        var text = line.AsSpan(0, lineLength).TrimEnd((byte)'\r');
        var complete = !lineOverflowed;
        lineLength = 0;
        lineOverflowed = false;

        if (marker == SseEndMarker.Done ? text.SequenceEqual(DoneLine) || text.SequenceEqual(DoneLineCompact) : text.SequenceEqual(MessageStopLine) || text.SequenceEqual(MessageStopLineCompact))
        {
            observation.MarkEnd();
            return;
        }

        if (marker == SseEndMarker.Done && text.StartsWith("data:"u8) && (!complete || text.IndexOf(ReasoningName) >= 0))
        {
            // A cut line may name it past the kept prefix. As with "error", a quoted name inside text is escaped.
            observation.MarkReasoningName();
        }

        if (complete && text.StartsWith("data:"u8))
        {
            var payload = text[5..].TrimStart((byte)' ');
            if (payload.StartsWith(ErrorFramePrefix))
            {
                RecordErrorFrame(payload);
            }
            else if (payload.IndexOf(ErrorName) >= 0)
            {
                // OpenRouter puts the error object beside "choices" and ends with finish_reason "error"; a quoted
                // "error" inside answer text is escaped (\"error\") and never matches, so ordinary chunks skip the parse.
                RecordEmbeddedError(payload);
            }
        }
    }

    private void RecordEmbeddedError(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String)
            {
                RecordErrorFrame(payload);
                return;
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("finish_reason", out var reason)
                        && reason.ValueKind == JsonValueKind.String && reason.ValueEquals("error"u8))
                    {
                        observation.RecordError(null, null, Encoding.UTF8.GetString(payload));
                        return;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the SDK reports it.
        }
    }

    private void RecordErrorFrame(ReadOnlySpan<byte> payload)
    {
        var frame = Encoding.UTF8.GetString(payload);
        try
        {
            var reader = new Utf8JsonReader(payload);
            using var document = JsonDocument.ParseValue(ref reader);
            var error = document.RootElement.GetProperty("error");
            if (error.ValueKind == JsonValueKind.String)
            {
                observation.RecordError(null, error.GetString(), frame);
                return;
            }

            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var code = error.TryGetProperty("code", out var c) && c.ValueKind is JsonValueKind.String or JsonValueKind.Number ? c.ToString() : null;
            // OpenAI names a rate limit by its code ("rate_limit_exceeded") under a type of "requests" or "tokens".
            observation.RecordError(code is not null && !ProviderErrors.IsKnownType(type) ? code : type ?? code, message, frame);
        }
        catch (JsonException)
        {
            observation.RecordError(null, null, frame);
        }
    }
}
