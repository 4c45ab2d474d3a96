using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>
/// Published when a new direct session <see cref="SessionId"/> was made to continue participant
/// <see cref="Participant"/> (0 for <c>a</c>, up to 3 for <c>d</c>) of <see cref="SourceSessionId"/>, so that the module
/// keeping the messages copies that participant's conversation into it before the new session is answered. A handler
/// that throws undoes the fork.
/// </summary>
public sealed record SessionForked(Guid SourceSessionId, Guid SessionId, string OwnerId, int Participant) : INotification;
