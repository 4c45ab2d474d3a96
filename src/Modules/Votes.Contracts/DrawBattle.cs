using Mediator;

namespace Arena.Modules.Votes.Contracts;

/// <summary>Draws the two models of a new battle by their battle weights; <c>null</c> when fewer than two can take part.</summary>
public sealed record DrawBattle : IQuery<BattleDraw?>;

/// <summary>A battle's pair, sides already swapped at random, and the seed that reproduces the draw.</summary>
public sealed record BattleDraw(string ModelA, string ModelB, int Seed);
