using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Arena.Modules.Messaging.Domain;

namespace Arena.Modules.Messaging.Streaming.Wire;

/// Standard Server-Sent Events: <c>id</c> (the event's position in its turn, so the same in every response that carries
/// it), <c>event</c> (start, delta, reasoning, tool_call, finish, error, done)
/// and one snake_case JSON <c>data</c> line per event; a comment line keeps an idle connection alive.
internal sealed class SseWireWriter : StreamWireWriter
{
    private static readonly JsonEncodedText ParticipantName = JsonEncodedText.Encode("participant");
    private static readonly JsonEncodedText MessageIdName = JsonEncodedText.Encode("message_id");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText ErrorName = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText CodeName = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText FinishReasonName = JsonEncodedText.Encode("finish_reason");
    private static readonly UsageNames Usage = new(JsonEncodedText.Encode("usage"), JsonEncodedText.Encode("prompt_tokens"), JsonEncodedText.Encode("completion_tokens"), JsonEncodedText.Encode("cache_read_tokens"), JsonEncodedText.Encode("cache_write_tokens"), JsonEncodedText.Encode("reasoning_tokens"));
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText ArgumentsName = JsonEncodedText.Encode("arguments");
    private static readonly JsonEncodedText TtftMsName = JsonEncodedText.Encode("ttft_ms");
    private static readonly JsonEncodedText DurationMsName = JsonEncodedText.Encode("duration_ms");
    private static readonly JsonEncodedText StoredName = JsonEncodedText.Encode("stored");
    private static readonly JsonEncodedText[] Participants = [.. Enum.GetValues<Participant>().Select(p => JsonEncodedText.Encode(WireNames.Of(p)))];

    private long lastId;

    public override bool Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        if (streamEvent is StreamKeepAlive)
        {
            output.Write(": keep-alive\n\n"u8);
            return true;
        }

        var name = NameOf(streamEvent);
        if (name.IsEmpty)
        {
            return false;
        }

        Header(output, name);
        var json = Json(output);
        json.WriteStartObject();
        json.WriteString(ParticipantName, Participants[(int)((ParticipantEvent)streamEvent).Participant]);
        switch (streamEvent)
        {
            case StreamStarted started:
                json.WriteString(MessageIdName, started.MessageId);
                if (started.Model is { } model)
                {
                    json.WriteString(ModelName, model);
                }

                break;

            case StreamDelta delta:
                json.WriteString(ContentName, delta.Content);
                break;

            case StreamReasoning reasoning:
                json.WriteString(ContentName, reasoning.Content);
                break;

            case StreamToolCall call:
                json.WriteString(IdName, call.Id);
                json.WriteString(NameName, call.Name);
                json.WriteString(ArgumentsName, call.Arguments);
                break;

            case StreamFailed failed:
                json.WriteStartObject(ErrorName);
                json.WriteString(CodeName, failed.Code);
                json.WriteString(MessageName, failed.Message);
                json.WriteEndObject();
                break;

            case StreamFinished finished:
                json.WriteString(FinishReasonName, finished.FinishReason);
                WriteUsage(json, Usage, finished.Usage);
                WriteCount(json, TtftMsName, finished.TtftMs);
                json.WriteNumber(DurationMsName, finished.DurationMs);
                json.WriteBoolean(StoredName, finished.Stored);
                break;
        }

        End(json, output);
        return true;
    }

    /// Every event of a turn is an sse event, so a position here is the event's id.
    public override bool Sends(StreamEvent streamEvent) => !NameOf(streamEvent).IsEmpty;

    /// How long a client waits before it reconnects: shorter than the browsers' own 3 to 5 s, because a resumable turn
    /// goes on generating while its client is away and a reconnect gets what it missed at once; still a whole second,
    /// so that clients do not meet a restarting server in a tight loop.
    public override bool WriteOpening(IBufferWriter<byte> output)
    {
        output.Write("retry: 1000\n\n"u8);
        return true;
    }

    public override void ContinueAfter(long position) => lastId = position;

    public override bool WriteEnd(IBufferWriter<byte> output)
    {
        Header(output, "done"u8);
        var json = Json(output);
        json.WriteStartObject();
        End(json, output);
        return true;
    }

    /// The one list of what this protocol carries: the event's name, or nothing for one it does not send.
    private static ReadOnlySpan<byte> NameOf(StreamEvent streamEvent) => streamEvent switch
    {
        StreamStarted => "start"u8,
        StreamDelta => "delta"u8,
        StreamReasoning => "reasoning"u8,
        StreamToolCall => "tool_call"u8,
        StreamFailed => "error"u8,
        StreamFinished => "finish"u8,
        _ => default,
    };

    private void Header(IBufferWriter<byte> output, ReadOnlySpan<byte> eventName)
    {
        output.Write("id: "u8);
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(++lastId, span, out var written);
        output.Advance(written);
        output.Write("\nevent: "u8);
        output.Write(eventName);
        output.Write("\ndata: "u8);
    }

    private static void End(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.WriteEndObject();
        json.Flush();
        output.Write("\n\n"u8);
    }
}
