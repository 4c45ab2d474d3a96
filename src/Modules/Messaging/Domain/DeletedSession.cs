namespace Arena.Modules.Messaging.Domain;

/// A session that Sessions deleted. Messaging keeps its id so that a turn admitted by an instance that still remembered
/// the session is refused in its own insert, which takes the same per-session lock as the delete: the two are ordered by
/// the database, whichever instance runs them. Session ids are never reused, so the mark never needs to go.
internal sealed class DeletedSession
{
    public Guid SessionId { get; init; }

    public DateTimeOffset DeletedAt { get; init; }
}
