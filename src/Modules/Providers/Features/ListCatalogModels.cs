using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Domain;
using Mediator;

namespace Arena.Modules.Providers.Features;

internal sealed class ListCatalogModelsHandler(ModelCatalog catalog) : IQueryHandler<ListCatalogModels, IReadOnlyList<ModelInfo>>
{
    public ValueTask<IReadOnlyList<ModelInfo>> Handle(ListCatalogModels query, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ModelInfo>>([.. catalog.Available.Select(m => m.ToInfo())]);
}
