using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal sealed class FindSessionHandler(SessionsDbContext db) : IQueryHandler<FindSession, SessionInfo?>
{
    public async ValueTask<SessionInfo?> Handle(FindSession query, CancellationToken cancellationToken) =>
        (await db.Sessions.AsNoTracking()
            .Where(s => s.Id == query.SessionId && s.OwnerId == query.OwnerId)
            .Select(s => new { s.Id, s.Mode, s.ModelA, s.ModelB, s.ModelC, s.ModelD, s.RevealedAt })
            .FirstOrDefaultAsync(cancellationToken)) is { } s
            ? SessionInfos.Of(s.Id, s.Mode, ChatSession.ModelsOf(s.ModelA, s.ModelB, s.ModelC, s.ModelD), s.RevealedAt)
            : null;
}

internal static class SessionInfos
{
    public static SessionInfo Of(Guid id, SessionMode mode, IReadOnlyList<string> models, DateTimeOffset? revealedAt) =>
        new(id, mode == SessionMode.Direct ? SessionKind.Direct : SessionKind.Compare, models, mode == SessionMode.Battle, revealedAt);
}
