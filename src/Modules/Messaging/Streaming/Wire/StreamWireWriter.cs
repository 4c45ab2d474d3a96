using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Streaming.Wire;

/// Turns stream events into the bytes of one wire protocol, straight into the response's buffer (UTF-8, no string in between).
/// One instance per response: it reuses one JSON writer and, for SSE, numbers the events.
/// JSON strings keep non-ASCII text as raw UTF-8 (clients read UTF-8 anyway and it is up to six times smaller than \u escapes);
/// quotes, backslashes and control characters are escaped, and characters outside the BMP travel as \u surrogate pairs,
/// as System.Text.Json does for every encoder.
internal abstract class StreamWireWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private Utf8JsonWriter? json;

    /// The names of the usage object and its counts, in one protocol's case.
    protected sealed record UsageNames(JsonEncodedText Usage, JsonEncodedText PromptTokens, JsonEncodedText CompletionTokens, JsonEncodedText CacheReadTokens, JsonEncodedText CacheWriteTokens, JsonEncodedText ReasoningTokens);

    public static StreamWireWriter For(StreamProtocol protocol) => protocol == StreamProtocol.Sse ? new SseWireWriter() : new DataWireWriter();

    /// Writes the event; false when this protocol sends nothing for it (then there is nothing to flush).
    public abstract bool Write(StreamEvent streamEvent, IBufferWriter<byte> output);

    /// Whether this protocol sends anything for the event: what a resume position counts.
    public abstract bool Sends(StreamEvent streamEvent);

    /// Numbers the next event as following <paramref name="position"/>, for a response that starts mid-turn.
    public virtual void ContinueAfter(long position)
    {
    }

    /// Writes what opens every response, before its first event; false when this protocol sends nothing.
    public virtual bool WriteOpening(IBufferWriter<byte> output) => false;

    /// Writes what closes the response after the last event; false when this protocol sends nothing.
    public abstract bool WriteEnd(IBufferWriter<byte> output);

    /// Null when the provider reported nothing, as in the row: a 0 would claim a count; so is each count it left out.
    protected static void WriteUsage(Utf8JsonWriter json, UsageNames names, TokenUsage? usage)
    {
        if (usage is null)
        {
            json.WriteNull(names.Usage);
            return;
        }

        json.WriteStartObject(names.Usage);
        WriteCount(json, names.PromptTokens, usage.PromptTokens);
        WriteCount(json, names.CompletionTokens, usage.CompletionTokens);
        WriteCount(json, names.CacheReadTokens, usage.CacheReadTokens);
        WriteCount(json, names.CacheWriteTokens, usage.CacheWriteTokens);
        WriteCount(json, names.ReasoningTokens, usage.ReasoningTokens);
        json.WriteEndObject();
    }

    protected static void WriteCount(Utf8JsonWriter json, JsonEncodedText name, long? count)
    {
        if (count is { } value)
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    protected Utf8JsonWriter Json(IBufferWriter<byte> output)
    {
        if (json is null)
        {
            json = new Utf8JsonWriter(output, JsonOptions);
        }
        else
        {
            json.Reset(output);
        }

        return json;
    }
}
