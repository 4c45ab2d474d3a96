using Microsoft.Extensions.Options;

namespace Arena.Modules.Providers.Domain;

internal sealed record CatalogModel(string Id, string DisplayName, string ProviderName, ProviderOptions Provider, string ProviderModel, int MaxOutputTokens);

/// The models a request may name: configured ones whose provider exists and, unless it is the mock, has a key.
internal sealed class ModelCatalog(IOptionsMonitor<CatalogOptions> options)
{
    public IReadOnlyList<CatalogModel> Available => Build(options.CurrentValue);

    public CatalogModel? Find(string modelId) => Available.FirstOrDefault(m => m.Id == modelId);

    private static List<CatalogModel> Build(CatalogOptions catalog)
    {
        var models = new List<CatalogModel>(catalog.Models.Count);
        foreach (var (id, model) in catalog.Models)
        {
            if (!catalog.Providers.TryGetValue(model.Provider, out var provider) || !IsUsable(provider))
            {
                continue;
            }

            models.Add(new CatalogModel(id, model.DisplayName ?? id, model.Provider, provider, model.ProviderModel ?? id, model.MaxOutputTokens));
        }

        models.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return models;
    }

    private static bool IsUsable(ProviderOptions provider) =>
        provider.Kind == ProviderKind.Mock || !string.IsNullOrWhiteSpace(provider.ApiKey);
}
