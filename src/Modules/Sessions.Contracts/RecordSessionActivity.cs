using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>
/// Tells Sessions that a turn is being sent on a session of <see cref="OwnerId"/>: its <c>updated_at</c> moves to now, so
/// that the session list, ordered by last activity, shows it first (at once for its owner on this instance, within a
/// second elsewhere), and the answer is the session as <see cref="FindSession"/> gives it. <c>null</c>, with nothing
/// changed, for another user's or a missing session. A session found before answers from memory; if it was deleted
/// through another instance since, <see cref="SessionDeleted"/> follows within a second.
/// </summary>
public sealed record RecordSessionActivity(Guid SessionId, string OwnerId) : ICommand<SessionInfo?>;
