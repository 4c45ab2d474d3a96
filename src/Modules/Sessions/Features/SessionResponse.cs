using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Arena.Modules.Sessions.Domain;

namespace Arena.Modules.Sessions.Features;

internal sealed record SessionResponse(
    Guid Id,
    SessionMode Mode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ModelA,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ModelB,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Participant c's model, in a compare session of three or four models; absent otherwise.")] string? ModelC,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Participant d's model, in a compare session of four models; absent otherwise.")] string? ModelD,
    string Title,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? RevealedAt = null)
{
    public const string Example =
        """{"id": "019ad5a2-3c4b-7d2e-9f10-2a3b4c5d6e7f", "mode": "compare", "model_a": "mock-swift", "model_b": "mock-sage", "title": "First try", "created_at": "2026-11-29T18:00:00.000000+00:00", "updated_at": "2026-11-29T18:05:12.345678+00:00"}""";

    // A battle names no model until it has been voted on.
    public static SessionResponse From(ChatSession session) =>
        new(session.Id, session.Mode, session.HidesModels ? null : session.ModelA, session.HidesModels ? null : session.ModelB, session.ModelC, session.ModelD,
            session.Title, session.CreatedAt, session.UpdatedAt, session.RevealedAt);
}

internal static class Owner
{
    // The /api group's policy guarantees an authenticated principal with a subject.
    public static string Id(ClaimsPrincipal user) => user.FindFirstValue("sub")!;
}
