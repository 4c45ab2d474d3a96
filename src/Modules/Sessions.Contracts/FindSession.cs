using Mediator;

namespace Arena.Modules.Sessions.Contracts;

/// <summary>
/// Looks up a session of <see cref="OwnerId"/>; answers <c>null</c> when it does not exist or belongs to someone else,
/// so that callers answer both cases alike.
/// </summary>
public sealed record FindSession(Guid SessionId, string OwnerId) : IQuery<SessionInfo?>;

/// <summary>A session as other modules see it: its mode and the model of each participant.</summary>
/// <param name="Id">The session id.</param>
/// <param name="Mode">Direct (participant <c>a</c> only) or compare (<c>a</c> to at most <c>d</c>).</param>
/// <param name="Models">The model of each participant, in order, <c>a</c> first: one in direct mode, two to four in compare.</param>
/// <param name="Battle">
/// A battle: the server drew both models and keeps them hidden until the vote. It streams like compare (so
/// <see cref="Mode"/> says <see cref="SessionKind.Compare"/>).
/// </param>
/// <param name="RevealedAt">When a vote revealed the battle's models; <c>null</c> before.</param>
public sealed record SessionInfo(Guid Id, SessionKind Mode, IReadOnlyList<string> Models, bool Battle = false, DateTimeOffset? RevealedAt = null)
{
    /// <summary>The model of participant <c>a</c>.</summary>
    public string ModelA => Models[0];

    /// <summary>The model of participant <c>b</c>; <c>null</c> in direct mode.</summary>
    public string? ModelB => Models.Count > 1 ? Models[1] : null;

    /// <summary>Every participant a session can have, in order: the letters the APIs name them by.</summary>
    public static IReadOnlyList<string> ParticipantLetters { get; } = ["a", "b", "c", "d"];

    /// <summary>This session's participants, one per model.</summary>
    public IEnumerable<string> Participants => ParticipantLetters.Take(Models.Count);
}

/// <summary>How many models answer each prompt of a session.</summary>
public enum SessionKind
{
    Direct,
    Compare,
}
