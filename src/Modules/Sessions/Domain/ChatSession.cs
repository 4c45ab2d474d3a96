using Arena.Modules.Sessions.Contracts;

namespace Arena.Modules.Sessions.Domain;

internal enum SessionMode
{
    Direct,
    Compare,

    /// Two models the server drew, hidden until the session is voted on.
    Battle,
}

internal sealed class ChatSession
{
    public const int TitleMaxLength = 200;
    public const string DefaultTitle = "New chat";

    public Guid Id { get; init; }

    public required string OwnerId { get; init; }

    public SessionMode Mode { get; init; }

    public required string ModelA { get; init; }

    public string? ModelB { get; init; }

    public string? ModelC { get; init; }

    public string? ModelD { get; init; }

    public required string Title { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// The seed that drew a battle's pair, kept for audit.
    public int? BattleSeed { get; init; }

    /// When a vote revealed a battle's models.
    public DateTimeOffset? RevealedAt { get; set; }

    public bool HidesModels => Mode == SessionMode.Battle && RevealedAt is null;

    /// The model of each participant, <c>a</c> first.
    public IReadOnlyList<string> Models => ModelsOf(ModelA, ModelB, ModelC, ModelD);

    /// The session as other modules see it.
    public SessionInfo Info => InfoOf(Id, Mode, Models, RevealedAt);

    public static SessionInfo InfoOf(Guid id, SessionMode mode, IReadOnlyList<string> models, DateTimeOffset? revealedAt) =>
        new(id, mode == SessionMode.Direct ? SessionKind.Direct : SessionKind.Compare, models, mode == SessionMode.Battle, revealedAt);

    public static IReadOnlyList<string> ModelsOf(string modelA, string? modelB, string? modelC, string? modelD) =>
        [modelA, .. new[] { modelB, modelC, modelD }.TakeWhile(m => m is not null).Select(m => m!)];
}
