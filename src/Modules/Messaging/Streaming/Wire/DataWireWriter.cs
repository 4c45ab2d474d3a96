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
    private static readonly UsageNames Usage = new(JsonEncodedText.Encode("usage"), JsonEncodedText.Encode("promptTokens"), JsonEncodedText.Encode("completionTokens"), JsonEncodedText.Encode("cacheReadTokens"), JsonEncodedText.Encode("cacheWriteTokens"), JsonEncodedText.Encode("reasoningTokens"));
    private static readonly JsonEncodedText ToolCallIdName = JsonEncodedText.Encode("toolCallId");
    private static readonly JsonEncodedText ToolNameName = JsonEncodedText.Encode("toolName");
    private static readonly JsonEncodedText ArgsName = JsonEncodedText.Encode("args");
    private static readonly JsonEncodedText StoredName = JsonEncodedText.Encode("stored");

    public override bool Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        var kind = KindOf(streamEvent);
        if (kind == 0)
        {
            return false;
        }

        Prefix(output, ((ParticipantEvent)streamEvent).Participant, kind);
        var json = Json(output);
        json.WriteStartObject();
        switch (streamEvent)
        {
            case StreamDelta delta:
                json.WriteString(ContentName, delta.Content);
                break;

            case StreamReasoning reasoning:
                json.WriteString(ContentName, reasoning.Content);
                break;

            case StreamToolCall call:
                json.WriteString(ToolCallIdName, call.Id);
                json.WriteString(ToolNameName, call.Name);
                json.WriteString(ArgsName, call.Arguments);
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
                // Last, so that clients matching the line's start keep working.
                json.WriteBoolean(StoredName, finished.Stored);
                break;
        }

        json.WriteEndObject();
        json.Flush();
        output.Write("\n"u8);
        return true;
    }

    public override bool Sends(StreamEvent streamEvent) => KindOf(streamEvent) != 0;

    public override bool WriteEnd(IBufferWriter<byte> output) => false;

    /// The one list of what this protocol carries, which also decides what a data position counts: the line's kind, or 0
    /// for an event it does not send (a reply's start exists only in sse).
    private static byte KindOf(StreamEvent streamEvent) => streamEvent switch
    {
        StreamDelta => (byte)'0',
        StreamReasoning => (byte)'g',
        StreamToolCall => (byte)'9',
        StreamFailed => (byte)'3',
        StreamFinished => (byte)'d',
        _ => 0,
    };

    private static void Prefix(IBufferWriter<byte> output, Participant participant, byte kind)
    {
        var span = output.GetSpan(3);
        span[0] = (byte)('a' + (int)participant);
        span[1] = kind;
        span[2] = (byte)':';
        output.Advance(3);
    }
}
