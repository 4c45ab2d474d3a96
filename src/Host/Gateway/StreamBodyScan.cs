using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Arena.Host.Gateway;

/// What routing reads from a stream request's body without consuming it (the body must still be forwarded whole): the
/// top-level session_id, for the session's sticky place, and whether the turn asks to be resumable, which only the
/// streaming pipeline can run.
internal sealed record StreamBodyFacts(Guid? SessionId, bool Resumable)
{
    public static readonly StreamBodyFacts None = new(null, false);
}

internal static class StreamBodyScan
{
    /// Covers the largest single turn the pipelines accept (32,000 characters, 6 bytes each when \u-escaped) with room to
    /// spare, so only whole-conversation bodies from old clients spill to a temp file while they are forwarded.
    public const int InMemoryBodyThreshold = 256 * 1024;

    /// The window grows only while one token (a long message text) does not fit; everything before it is already scanned.
    internal const int InitialWindow = 16 * 1024;

    /// One token longer than this ends the scan (routing falls back to a random place): a single giant string must not
    /// make one request rent tens of megabytes from the shared pool.
    internal const int MaxWindow = 1024 * 1024;

    private static readonly byte[] SessionIdName = Encoding.UTF8.GetBytes("session_id");
    private static readonly byte[] ResumableName = Encoding.UTF8.GetBytes("resumable");

    /// A body declared longer than limit is not read here at all: the pipeline refuses it whichever route it takes.
    public static async Task<StreamBodyFacts> TryReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (limit <= 0 || request.ContentLength > limit)
        {
            return StreamBodyFacts.None;
        }

        // The buffering stream rents its whole threshold at once and holds it until the request ends, minutes for a stream:
        // the whole threshold per open stream, which past what the shared pool keeps are fresh large-object-heap arrays, and those
        // bring on full collections. A body of declared length needs no more than that length.
        request.EnableBuffering(request.ContentLength is { } length ? (int)Math.Clamp(length, 1, InMemoryBodyThreshold) : InMemoryBodyThreshold);
        try
        {
            return await ScanAsync(request.Body, limit, InitialWindow, cancellationToken);
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    /// Reads at most limit bytes of body through a window that keeps only the unfinished token between reads. A body cut
    /// short (or longer than limit) yields what was seen before the cut.
    internal static async Task<StreamBodyFacts> ScanAsync(Stream body, long limit, int initialWindow, CancellationToken cancellationToken)
    {
        var scan = new Scan();
        var window = ArrayPool<byte>.Shared.Rent(initialWindow);
        try
        {
            var buffered = 0;
            var read = 0L;
            while (!scan.Stopped)
            {
                if (buffered == window.Length)
                {
                    if (window.Length >= MaxWindow)
                    {
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(window.Length * 2);
                    window.AsSpan(0, buffered).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(window);
                    window = larger;
                }

                var count = await body.ReadAsync(window.AsMemory(buffered, (int)Math.Min(window.Length - buffered, limit - read)), cancellationToken);
                var complete = count == 0;
                buffered += count;
                read += count;

                var consumed = scan.Advance(window.AsSpan(0, buffered), complete);
                window.AsSpan(consumed, buffered - consumed).CopyTo(window);
                buffered -= consumed;
                if (complete || read >= limit)
                {
                    break;
                }
            }

            return scan.Facts;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }
    }

    /// Scans one complete document, or a prefix of one when isFinalBlock is false.
    internal static StreamBodyFacts Find(ReadOnlySpan<byte> json, bool isFinalBlock)
    {
        var scan = new Scan();
        scan.Advance(json, isFinalBlock);
        return scan.Facts;
    }

    /// The scan state carried between windows; Utf8JsonReader itself is a ref struct and cannot live across an await.
    private sealed class Scan
    {
        private JsonReaderState reader;
        private bool insideRoot;
        private bool atSessionIdValue;
        private bool atResumableValue;

        /// The last top-level session_id and resumable so far: the pipelines parse the body with JsonDocument, where the
        /// last duplicate wins.
        public StreamBodyFacts Facts { get; private set; } = StreamBodyFacts.None;

        /// The body is not a JSON object, or not JSON at all; the pipeline answers its own 400, so any route will do.
        public bool Stopped { get; private set; }

        public int Advance(ReadOnlySpan<byte> json, bool isFinalBlock)
        {
            var tokens = new Utf8JsonReader(json, isFinalBlock, reader);
            try
            {
                while (!Stopped && tokens.Read())
                {
                    Take(ref tokens);
                }
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException)
            {
                // InvalidOperationException: a property name with a lone surrogate escape, which cannot be compared.
                Stopped = true;
            }

            reader = tokens.CurrentState;
            return (int)tokens.BytesConsumed;
        }

        private void Take(ref Utf8JsonReader tokens)
        {
            if (!insideRoot)
            {
                insideRoot = tokens.TokenType == JsonTokenType.StartObject;
                Stopped = !insideRoot;
                return;
            }

            if (atSessionIdValue)
            {
                atSessionIdValue = false;
                Facts = Facts with { SessionId = tokens.TokenType == JsonTokenType.String && Guid.TryParse(TextOf(ref tokens), out var id) ? id : null };
                return;
            }

            if (atResumableValue)
            {
                atResumableValue = false;
                Facts = Facts with { Resumable = tokens.TokenType == JsonTokenType.True };
                return;
            }

            var topLevelName = tokens.TokenType == JsonTokenType.PropertyName && tokens.CurrentDepth == 1;
            atSessionIdValue = topLevelName && tokens.ValueTextEquals(SessionIdName);
            atResumableValue = topLevelName && tokens.ValueTextEquals(ResumableName);
        }

        /// The reader accepts invalid UTF-8 and lone "\ud800" escapes inside a string and refuses them only when asked
        /// for the string: such a session_id is no id at all, and the pipeline names it in its own 400.
        private static string? TextOf(ref Utf8JsonReader tokens)
        {
            try
            {
                return tokens.GetString();
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }
}
