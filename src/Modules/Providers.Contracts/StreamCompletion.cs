using Mediator;

namespace Arena.Modules.Providers.Contracts;

/// <summary>
/// Streams one completion of <see cref="Messages"/> from the provider behind <see cref="ModelId"/>.
/// The stream yields text (and reasoning) in order, then exactly one terminal update:
/// <see cref="CompletionFinished"/> or <see cref="CompletionFailed"/>. Provider failures are yielded, never thrown;
/// cancelling the enumeration cancels the upstream request and throws <see cref="OperationCanceledException"/>.
/// </summary>
public sealed record StreamCompletion(string ModelId, IReadOnlyList<ChatTurn> Messages) : IStreamQuery<CompletionUpdate>
{
    /// <summary>
    /// The reply is for a battle whose models are still hidden: a provider Arena writes itself (the mock) must not name
    /// the model in it. Real providers receive the request unchanged.
    /// </summary>
    public bool Anonymous { get; init; }
}

/// <summary>The author of a conversation turn.</summary>
public enum ChatTurnRole
{
    System,
    User,
    Assistant,
}

/// <summary>One turn of the conversation sent to the provider.</summary>
public sealed record ChatTurn(ChatTurnRole Role, string Content);

/// <summary>One item of a completion stream.</summary>
public abstract record CompletionUpdate;

/// <summary>A piece of the answer text.</summary>
public sealed record CompletionText(string Text) : CompletionUpdate;

/// <summary>A piece of reasoning ("thinking") text, kept apart from the answer.</summary>
public sealed record CompletionReasoning(string Text) : CompletionUpdate;

/// <summary>
/// A tool call the model asked for, complete: its id and name, and its arguments exactly as the provider sent them
/// (fragments joined per call, never parsed or re-serialised). Arena does not run tools.
/// </summary>
public sealed record CompletionToolCall(string Id, string Name, string Arguments) : CompletionUpdate;

/// <summary>The provider ended the answer normally.</summary>
public sealed record CompletionFinished(FinishReason Reason, TokenUsage? Usage) : CompletionUpdate;

/// <summary>The completion failed; text yielded before it stays valid.</summary>
public sealed record CompletionFailed(CompletionErrorCode Code, string Message, TokenUsage? Usage = null) : CompletionUpdate;

/// <summary>Why a completion ended.</summary>
public enum FinishReason
{
    Stop,
    Length,
    ContentFilter,
    ToolCalls,
    Error,
    Cancelled,
}

/// <summary>What kind of failure ended a completion.</summary>
public enum CompletionErrorCode
{
    RateLimited,
    Unauthorized,
    BadRequest,
    Unavailable,
    Timeout,
    Cancelled,
    Truncated,
    Unknown,
}

/// <summary>
/// Token counts as the provider reported them; a count it did not report is null, never 0. <see cref="PromptTokens"/> is
/// the provider's own input figure: OpenAI's <c>prompt_tokens</c> includes cache reads, Anthropic's <c>input_tokens</c>
/// excludes them (its cache figures come apart in <see cref="CacheReadTokens"/> and <see cref="CacheWriteTokens"/>).
/// </summary>
public sealed record TokenUsage(
    long? PromptTokens,
    long? CompletionTokens,
    long? CacheReadTokens = null,
    long? CacheWriteTokens = null,
    long? ReasoningTokens = null);
