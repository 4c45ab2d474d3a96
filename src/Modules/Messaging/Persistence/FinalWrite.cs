using Arena.Modules.Messaging.Domain;

namespace Arena.Modules.Messaging.Persistence;

/// The last write of one participant's reply, kept whole so that it can be retried as it was.
internal sealed record FinalWrite(Guid MessageId, string Content, MessageStatus Status, string Metadata, DateTimeOffset At, string? Reasoning = null);
