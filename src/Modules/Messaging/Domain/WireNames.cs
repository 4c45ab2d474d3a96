using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Domain;

/// The lowercase names both wire protocols and the stored metadata use for enum values.
internal static class WireNames
{
    public static string Of(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.ContentFilter => "content_filter",
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.Error => "error",
        FinishReason.Cancelled => "cancelled",
        _ => "unknown",
    };

    public static string Of(CompletionErrorCode code) => code switch
    {
        CompletionErrorCode.RateLimited => "rate_limited",
        CompletionErrorCode.Unauthorized => "unauthorized",
        CompletionErrorCode.BadRequest => "bad_request",
        CompletionErrorCode.Unavailable => "unavailable",
        CompletionErrorCode.Timeout => "timeout",
        CompletionErrorCode.Cancelled => "cancelled",
        CompletionErrorCode.Truncated => "truncated",
        _ => "unknown",
    };

    private static readonly string[] Letters = ["a", "b", "c", "d"];

    public static string Of(Participant participant) => Letters[(int)participant];

    /// The participant a letter names; null for anything else.
    public static Participant? ParticipantOf(string letter) =>
        letter is [var c] && c >= 'a' && c - 'a' < Letters.Length ? (Participant)(c - 'a') : null;

    public static string Of(MessageStatus status) => status switch
    {
        MessageStatus.Streaming => "streaming",
        MessageStatus.Success => "success",
        MessageStatus.Error => "error",
        MessageStatus.Cancelled => "cancelled",
        MessageStatus.ToolCalls => "tool_calls",
        _ => "interrupted",
    };

    /// A stored status, whichever way the row spells it (<c>tool_calls</c> as written now, <c>toolcalls</c> by older rows).
    public static MessageStatus StatusOf(string stored) => Enum.Parse<MessageStatus>(stored.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true);
}
