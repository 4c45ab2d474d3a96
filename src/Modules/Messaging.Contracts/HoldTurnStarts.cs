using Mediator;

namespace Arena.Modules.Messaging.Contracts;

/// <summary>
/// Holds back the start of any turn in a session until the answer is disposed. Every turn that started before the hold
/// is already stored (as streaming while it runs), and every turn that starts meanwhile waits, so a decision made under
/// the hold from <see cref="ListSessionReplies"/> cannot be overtaken by a turn it did not see. Keep it short: the
/// session's next turn waits for it. The caller has already checked who owns the session.
/// </summary>
public sealed record HoldTurnStarts(Guid SessionId) : IRequest<IAsyncDisposable>;
