using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>
/// Tells Sessions that a turn is being sent on a session of <see cref="OwnerId"/>: its <c>updated_at</c> moves to now, so
/// that the session list, ordered by last activity, shows it first, and the answer is the session as
/// <see cref="FindSession"/> gives it. <c>null</c>, with nothing changed, for another user's or a missing session.
/// </summary>
public sealed record RecordSessionActivity(Guid SessionId, string OwnerId) : ICommand<SessionInfo?>;
