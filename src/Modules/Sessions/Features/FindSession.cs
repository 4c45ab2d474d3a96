using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal sealed class FindSessionHandler(SessionsDbContext db) : IQueryHandler<FindSession, SessionInfo?>
{
    public async ValueTask<SessionInfo?> Handle(FindSession query, CancellationToken cancellationToken) =>
        (await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == query.SessionId && s.OwnerId == query.OwnerId, cancellationToken))?.Info;
}
