using System.Buffers;
using System.Text.Json;
using Arena.Modules.Messaging.Domain;

namespace Arena.Modules.Messaging.Streaming.Wire;

/// The old service's protocol, which existing clients parse: one line per event, <c>{participant}{kind}:{json}</c>,
/// kind <c>0</c> a chunk, <c>3</c> an error, <c>d</c> the end of a participant. JSON keys are camelCase.
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
                    // Old clients expect usage on every end line; an unknown count reads as zero.
                    json.WriteStartObject(UsageName);
                    json.WriteNumber(PromptTokensName, finished.Usage?.PromptTokens ?? 0);
                    json.WriteNumber(CompletionTokensName, finished.Usage?.CompletionTokens ?? 0);
                    json.WriteEndObject();
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
