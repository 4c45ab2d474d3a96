using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>Published after a session was deleted, so that other modules drop what they keep for it.</summary>
public sealed record SessionDeleted(Guid SessionId) : INotification;
