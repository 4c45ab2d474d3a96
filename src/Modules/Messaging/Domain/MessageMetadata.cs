using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arena.Modules.Messaging.Domain;

internal sealed record MessageMetadata(
    string? FinishReason,
    UsageMetadata? Usage,
    long? TtftMs,
    long DurationMs,
    ErrorMetadata? Error)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static MessageMetadata? Deserialize(string? json) => json is null ? null : JsonSerializer.Deserialize<MessageMetadata>(json, Json);
}

internal sealed record UsageMetadata(long PromptTokens, long CompletionTokens);

internal sealed record ErrorMetadata(string Code, string Message);
