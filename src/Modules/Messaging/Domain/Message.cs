namespace Arena.Modules.Messaging.Domain;

internal enum MessageRole
{
    User,
    Assistant,
}

internal enum MessageStatus
{
    Streaming,
    Success,
    Error,
    Cancelled,
    Interrupted,

    /// The reply ended asking for tool calls (stored in its metadata); Arena does not run tools, so the turn ends here.
    ToolCalls,
}

/// One of a turn's models, by its place: stored and sent as a letter, <c>a</c> for the first (see <see cref="WireNames"/>).
internal enum Participant
{
    A,
    B,
    C,
    D,
}

internal sealed class Message
{
    public const string OneStreamPerSessionIndex = "ix_messages_one_stream_per_participant";

    public const string IdempotencyKeyIndex = "ix_messages_idempotency_key";

    public Guid Id { get; init; }

    public Guid SessionId { get; init; }

    public MessageRole Role { get; init; }

    public string Content { get; set; } = "";

    /// The reasoning ("thinking") the model streamed before or beside its answer, kept apart from <see cref="Content"/>;
    /// null when it sent none.
    public string? Reasoning { get; set; }

    public Guid? ParentId { get; init; }

    public string? Model { get; init; }

    public Participant? Participant { get; init; }

    public MessageStatus Status { get; set; }

    /// The process streaming this reply, while it is <see cref="MessageStatus.Streaming"/>.
    public Guid? StreamHostId { get; init; }

    /// The user (the token's subject) who sent the turn, on the user message and its replies: the per-user limits count
    /// running turns and recent requests here, so that they hold across instances. Null on rows older than the column.
    public string? OwnerId { get; init; }

    /// Serialized <see cref="MessageMetadata"/>, stored as jsonb and written whole at the end of a participant.
    public string? Metadata { get; set; }

    /// Serialized <see cref="ReplyPositions"/>, stored as json text when the turn ends, so that a resume served from this row
    /// continues exactly after the position a client had.
    public string? StreamPositions { get; set; }

    /// On a user message: the <c>Idempotency-Key</c> its start was sent with, unique in the session, so that a retried
    /// start finds the turn it already started; and the fingerprint of what it asked for (see <c>TurnAdmission</c>).
    public string? IdempotencyKey { get; init; }

    public string? RequestHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }
}
