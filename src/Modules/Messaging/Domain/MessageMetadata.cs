using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arena.Modules.Messaging.Domain;

internal sealed record MessageMetadata(
    string? FinishReason,
    UsageMetadata? Usage,
    long? TtftMs,
    long DurationMs,
    ErrorMetadata? Error,
    IReadOnlyList<ToolCallMetadata>? ToolCalls = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static MessageMetadata? Deserialize(string? json) => json is null ? null : JsonSerializer.Deserialize<MessageMetadata>(json, Json);
}

/// As the provider reported it; a figure it did not report stays null (see <c>TokenUsage</c> for what each one counts).
internal sealed record UsageMetadata(long? PromptTokens, long? CompletionTokens, long? CacheReadTokens, long? CacheWriteTokens, long? ReasoningTokens);

/// One tool call the model asked for; <see cref="Arguments"/> is the provider's JSON text exactly as sent.
internal sealed record ToolCallMetadata(string Id, string Name, string Arguments);

internal sealed record ErrorMetadata(string Code, string Message);
