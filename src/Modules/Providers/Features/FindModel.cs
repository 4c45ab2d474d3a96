using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Domain;
using Mediator;

namespace Arena.Modules.Providers.Features;

internal sealed class FindModelHandler(ModelCatalog catalog) : IQueryHandler<FindModel, ModelInfo?>
{
    public ValueTask<ModelInfo?> Handle(FindModel query, CancellationToken cancellationToken)
    {
        var model = catalog.Find(query.ModelId);
        return ValueTask.FromResult(model is null ? null : model.ToInfo());
    }
}

internal static class CatalogModelInfo
{
    public static ModelInfo ToInfo(this CatalogModel model) =>
        new(model.Id, model.DisplayName, model.ProviderName, model.MaxOutputTokens, model.BattleWeight, model.IdentityWords,
            model.Provider.Kind.ToString().ToLowerInvariant());
}
