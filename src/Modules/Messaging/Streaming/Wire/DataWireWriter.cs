using System.Buffers;
using System.Text.Json;
using Arena.Modules.Messaging.Domain;

namespace Arena.Modules.Messaging.Streaming.Wire;

/// The old service's protocol, which existing clients parse: one line per event, <c>{participant}{kind}:{json}</c>,
/// kind <c>0</c> a chunk, <c>g</c> a piece of reasoning, <c>9</c> a tool call, <c>3</c> an error, <c>d</c> the end of a
/// participant (the codes of the AI SDK's data stream protocol it was modelled on; old clients skip kinds they do not
/// know). JSON keys are camelCase.
internal sealed class DataWireWriter : StreamWireWriter
{
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText ErrorName = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText CodeName = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText FinishReasonName = JsonEncodedText.Encode("finishReason");
    private static readonly JsonEncodedText UsageName = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText PromptTokensName = JsonEncodedText.Encode("promptTokens");
    private static readonly JsonEncodedText CompletionTokensName = JsonEncodedText.Encode("completionTokens");
    private static readonly JsonEncodedText CacheReadTokensName = JsonEncodedText.Encode("cacheReadTokens");
    private static readonly JsonEncodedText CacheWriteTokensName = JsonEncodedText.Encode("cacheWriteTokens");
    private static readonly JsonEncodedText ReasoningTokensName = JsonEncodedText.Encode("reasoningTokens");
    private static readonly JsonEncodedText ToolCallIdName = JsonEncodedText.Encode("toolCallId");
    private static readonly JsonEncodedText ToolNameName = JsonEncodedText.Encode("toolName");
    private static readonly JsonEncodedText ArgsName = JsonEncodedText.Encode("args");
    private static readonly JsonEncodedText StoredName = JsonEncodedText.Encode("stored");

    public override bool Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        switch (streamEvent)
        {
            case StreamDelta delta:
                {
                    Prefix(output, delta.Participant, (byte)'0');
                    var json = Json(output);
                    json.WriteStartObject();
                    json.WriteString(ContentName, delta.Content);
                    json.WriteEndObject();
                    json.Flush();
                    break;
                }

            case StreamReasoning reasoning:
                {
                    Prefix(output, reasoning.Participant, (byte)'g');
                    var json = Json(output);
                    json.WriteStartObject();
                    json.WriteString(ContentName, reasoning.Content);
                    json.WriteEndObject();
                    json.Flush();
                    break;
                }

            case StreamToolCall call:
                {
                    Prefix(output, call.Participant, (byte)'9');
                    var json = Json(output);
                    json.WriteStartObject();
                    json.WriteString(ToolCallIdName, call.Id);
                    json.WriteString(ToolNameName, call.Name);
                    json.WriteString(ArgsName, call.Arguments);
                    json.WriteEndObject();
                    json.Flush();
                    break;
                }

            case StreamFailed failed:
                {
                    Prefix(output, failed.Participant, (byte)'3');
                    var json = Json(output);
                    json.WriteStartObject();
                    json.WriteStartObject(ErrorName);
                    json.WriteString(CodeName, failed.Code);
                    json.WriteString(MessageName, failed.Message);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.Flush();
                    break;
                }

            case StreamFinished finished:
                {
                    Prefix(output, finished.Participant, (byte)'d');
                    var json = Json(output);
                    json.WriteStartObject();
                    json.WriteString(FinishReasonName, finished.FinishReason);
                    // Null when the provider reported nothing, as in the row and the sse protocol: a 0 would claim a count.
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

                    // Last, so that clients matching the line's start keep working.
                    json.WriteBoolean(StoredName, finished.Stored);
                    json.WriteEndObject();
                    json.Flush();
                    break;
                }

            default:
                return false;
        }

        output.Write("\n"u8);
        return true;
    }

    public override bool Sends(StreamEvent streamEvent) => streamEvent is StreamDelta or StreamFailed or StreamFinished;

    public override bool WriteEnd(IBufferWriter<byte> output) => false;

    private static void Prefix(IBufferWriter<byte> output, Participant participant, byte kind)
    {
        var span = output.GetSpan(3);
        span[0] = participant == Participant.A ? (byte)'a' : (byte)'b';
        span[1] = kind;
        span[2] = (byte)':';
        output.Advance(3);
    }
}
