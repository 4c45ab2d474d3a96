using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>
/// Reveals a battle's models once it has been voted on; answers <c>false</c> when <see cref="SessionId"/> is not a battle
/// of <see cref="OwnerId"/>. Revealing twice keeps the first time.
/// </summary>
public sealed record RevealBattle(Guid SessionId, string OwnerId, DateTimeOffset RevealedAt) : ICommand<bool>;
