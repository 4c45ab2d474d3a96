using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal sealed class FindSessionHandler(SessionsDbContext db) : IQueryHandler<FindSession, SessionInfo?>
{
    public async ValueTask<SessionInfo?> Handle(FindSession query, CancellationToken cancellationToken) =>
        await db.Sessions.AsNoTracking()
            .Where(s => s.Id == query.SessionId && s.OwnerId == query.OwnerId)
            .Select(s => new SessionInfo(s.Id, s.Mode == SessionMode.Direct ? SessionKind.Direct : SessionKind.Compare, s.ModelA, s.ModelB, s.Mode == SessionMode.Battle, s.RevealedAt))
            .FirstOrDefaultAsync(cancellationToken);
}
