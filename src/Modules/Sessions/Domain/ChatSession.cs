namespace Arena.Modules.Sessions.Domain;

internal enum SessionMode
{
    Direct,
    Compare,
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

    public required string Title { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }
}
