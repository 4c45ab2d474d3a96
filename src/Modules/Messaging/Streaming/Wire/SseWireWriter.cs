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
    private static readonly JsonEncodedText UsageName = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText PromptTokensName = JsonEncodedText.Encode("prompt_tokens");
    private static readonly JsonEncodedText CompletionTokensName = JsonEncodedText.Encode("completion_tokens");
    private static readonly JsonEncodedText CacheReadTokensName = JsonEncodedText.Encode("cache_read_tokens");
    private static readonly JsonEncodedText CacheWriteTokensName = JsonEncodedText.Encode("cache_write_tokens");
    private static readonly JsonEncodedText ReasoningTokensName = JsonEncodedText.Encode("reasoning_tokens");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText ArgumentsName = JsonEncodedText.Encode("arguments");
    private static readonly JsonEncodedText TtftMsName = JsonEncodedText.Encode("ttft_ms");
    private static readonly JsonEncodedText DurationMsName = JsonEncodedText.Encode("duration_ms");
    private static readonly JsonEncodedText StoredName = JsonEncodedText.Encode("stored");
    private static readonly JsonEncodedText ParticipantA = JsonEncodedText.Encode("a");
    private static readonly JsonEncodedText ParticipantB = JsonEncodedText.Encode("b");

    private long lastId;

    public override bool Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        Utf8JsonWriter json;
        switch (streamEvent)
        {
            case StreamStarted started:
                {
                    json = Begin(output, "start"u8, started.Participant);
                    json.WriteString(MessageIdName, started.MessageId);
                    if (started.Model is { } model)
                    {
                        json.WriteString(ModelName, model);
                    }

                    break;
                }

            case StreamDelta delta:
                {
                    json = Begin(output, "delta"u8, delta.Participant);
                    json.WriteString(ContentName, delta.Content);
                    break;
                }

            case StreamReasoning reasoning:
                {
                    json = Begin(output, "reasoning"u8, reasoning.Participant);
                    json.WriteString(ContentName, reasoning.Content);
                    break;
                }

            case StreamToolCall call:
                {
                    json = Begin(output, "tool_call"u8, call.Participant);
                    json.WriteString(IdName, call.Id);
                    json.WriteString(NameName, call.Name);
                    json.WriteString(ArgumentsName, call.Arguments);
                    break;
                }

            case StreamFailed failed:
                {
                    json = Begin(output, "error"u8, failed.Participant);
                    json.WriteStartObject(ErrorName);
                    json.WriteString(CodeName, failed.Code);
                    json.WriteString(MessageName, failed.Message);
                    json.WriteEndObject();
                    break;
                }

            case StreamFinished finished:
                {
                    json = Begin(output, "finish"u8, finished.Participant);
                    json.WriteString(FinishReasonName, finished.FinishReason);
                    if (finished.Usage is { } usage)
                    {
                        json.WriteStartObject(UsageName);
                        WriteCount(json, PromptTokensName, usage.PromptTokens);
                        WriteCount(json, CompletionTokensName, usage.CompletionTokens);
                        WriteCount(json, CacheReadTokensName, usage.CacheReadTokens);
                        WriteCount(json, CacheWriteTokensName, usage.CacheWriteTokens);
                        WriteCount(json, ReasoningTokensName, usage.ReasoningTokens);
                        json.WriteEndObject();
                    }
                    else
                    {
                        json.WriteNull(UsageName);
                    }

                    if (finished.TtftMs is { } ttft)
                    {
                        json.WriteNumber(TtftMsName, ttft);
                    }
                    else
                    {
                        json.WriteNull(TtftMsName);
                    }

                    json.WriteNumber(DurationMsName, finished.DurationMs);
                    json.WriteBoolean(StoredName, finished.Stored);
                    break;
                }

            case StreamKeepAlive:
                output.Write(": keep-alive\n\n"u8);
                return true;

            default:
                return false;
        }

        End(json, output);
        return true;
    }

    public override bool Sends(StreamEvent streamEvent) => streamEvent is not StreamKeepAlive;

    public override void ContinueAfter(long position) => lastId = position;

    public override bool WriteEnd(IBufferWriter<byte> output)
    {
        Header(output, "done"u8);
        var json = Json(output);
        json.WriteStartObject();
        End(json, output);
        return true;
    }

    private Utf8JsonWriter Begin(IBufferWriter<byte> output, ReadOnlySpan<byte> eventName, Participant participant)
    {
        Header(output, eventName);
        var json = Json(output);
        json.WriteStartObject();
        json.WriteString(ParticipantName, participant == Participant.A ? ParticipantA : ParticipantB);
        return json;
    }

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
