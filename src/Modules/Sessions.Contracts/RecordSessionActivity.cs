using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>
/// Tells Sessions that a turn was sent on a session of <see cref="OwnerId"/>, so that its <c>updated_at</c> moves to now
/// and the session list, ordered by last activity, shows it first. Nothing happens for another user's or a missing session.
/// </summary>
public sealed record RecordSessionActivity(Guid SessionId, string OwnerId) : ICommand;
