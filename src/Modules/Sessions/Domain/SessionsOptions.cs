using System.ComponentModel.DataAnnotations;

namespace Arena.Modules.Sessions.Domain;

/// Bound from <c>Arena:Sessions</c>.
internal sealed class SessionsOptions
{
    public const string SectionName = "Arena:Sessions";

    /// Participants <c>a</c> to <c>d</c>: the wire protocols name no more.
    public const int ParticipantLimit = 4;

    /// The most models one compare session may hold.
    [Range(2, ParticipantLimit)]
    public int MaxCompareModels { get; set; } = ParticipantLimit;
}

/// The battle draw's part of <c>Arena:Battles</c>; the votes' part is bound by Votes.
internal sealed class BattleDrawOptions
{
    public const string SectionName = "Arena:Battles";

    /// Never pair two models of the same provider.
    public bool DistinctProviders { get; set; }
}
