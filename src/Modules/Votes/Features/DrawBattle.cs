using System.Security.Cryptography;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Votes.Contracts;
using Arena.Modules.Votes.Domain;
using Mediator;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Votes.Features;

internal sealed class DrawBattleHandler(IMediator mediator, IOptions<BattlesOptions> options) : IQueryHandler<DrawBattle, BattleDraw?>
{
    public async ValueTask<BattleDraw?> Handle(DrawBattle query, CancellationToken cancellationToken)
    {
        var models = await mediator.Send(new ListCatalogModels(), cancellationToken);
        var seed = RandomNumberGenerator.GetInt32(int.MaxValue);
        var pair = BattlePairing.Draw([.. models.Select(m => new BattleCandidate(m.Id, m.Provider, m.BattleWeight))], seed, options.Value.DistinctProviders);
        return pair is { } drawn ? new BattleDraw(drawn.A, drawn.B, seed) : null;
    }
}
