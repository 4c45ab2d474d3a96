using Mediator;

namespace Arena.Modules.Messaging.Contracts;

/// <summary>The assistant replies of a session, oldest first. The caller has already checked who owns the session.</summary>
public sealed record ListSessionReplies(Guid SessionId) : IQuery<IReadOnlyList<ReplyRecord>>;

/// <summary>One side of one turn, as stored when it ended (or as it stands while it streams).</summary>
/// <param name="PromptId">The user message this reply answers: the replies of one turn share it.</param>
/// <param name="Participant"><c>a</c> or <c>b</c>.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Status"><c>streaming</c>, <c>success</c>, <c>error</c>, <c>cancelled</c> or <c>interrupted</c>.</param>
/// <param name="FinishReason">The provider's finish reason (<c>stop</c>, <c>length</c>, …), when it gave one.</param>
/// <param name="TtftMs">Time to the first chunk.</param>
/// <param name="DurationMs">Time from the request to the end of the reply.</param>
/// <param name="OutputTokens">Completion tokens the provider reported.</param>
/// <param name="Content">The reply's text.</param>
/// <param name="CreatedAt">When the reply started.</param>
/// <param name="UpdatedAt">When the reply was last written; its end once it is no longer streaming.</param>
public sealed record ReplyRecord(
    Guid PromptId,
    string Participant,
    string? Model,
    string Status,
    string? FinishReason,
    long? TtftMs,
    long? DurationMs,
    long? OutputTokens,
    string Content,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
