using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal sealed class RecordSessionActivityHandler(SessionsDbContext db, TimeProvider clock) : ICommandHandler<RecordSessionActivity>
{
    public async ValueTask<Unit> Handle(RecordSessionActivity command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().TruncateToMicroseconds();
        // Only forward: instances whose clocks differ slightly must not move a session back in the list.
        await db.Sessions
            .Where(s => s.Id == command.SessionId && s.OwnerId == command.OwnerId && s.UpdatedAt < now)
            .ExecuteUpdateAsync(s => s.SetProperty(session => session.UpdatedAt, now), cancellationToken);
        return Unit.Value;
    }
}
