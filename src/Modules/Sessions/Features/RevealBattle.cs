using Arena.Modules.Sessions.Contracts;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Arena.Modules.Sessions.Features;

internal sealed class RevealBattleHandler(SessionsDbContext db) : ICommandHandler<RevealBattle, bool>
{
    public async ValueTask<bool> Handle(RevealBattle command, CancellationToken cancellationToken)
    {
        var revealedAt = command.RevealedAt.TruncateToMicroseconds();
        await db.Sessions
            .Where(s => s.Id == command.SessionId && s.OwnerId == command.OwnerId && s.Mode == SessionMode.Battle && s.RevealedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.RevealedAt, revealedAt), cancellationToken);
        return await db.Sessions.AnyAsync(s => s.Id == command.SessionId && s.OwnerId == command.OwnerId && s.Mode == SessionMode.Battle, cancellationToken);
    }
}
