using Microsoft.Extensions.Options;

namespace Arena.Modules.Providers.Domain;

internal sealed record CatalogModel(
    string Id,
    string DisplayName,
    string ProviderName,
    ProviderOptions Provider,
    string ProviderModel,
    int MaxOutputTokens,
    float? Temperature = null,
    float? TopP = null,
    double BattleWeight = 1,
    IReadOnlyList<string>? IdentityWords = null);

/// The models a request may name: configured ones whose provider exists and has a key, unless it is the mock or a
/// compatible server configured not to need one.
/// Rebuilt only when the configuration changes, because the stream path looks a model up per request.
internal sealed class ModelCatalog : IDisposable
{
    private readonly IDisposable? subscription;
    private volatile IReadOnlyList<CatalogModel> available;

    public ModelCatalog(IOptionsMonitor<CatalogOptions> options)
    {
        available = Build(options.CurrentValue);
        subscription = options.OnChange(changed => available = Build(changed));
    }

    public IReadOnlyList<CatalogModel> Available => available;

    public CatalogModel? Find(string modelId)
    {
        foreach (var model in available)
        {
            if (model.Id == modelId)
            {
                return model;
            }
        }

        return null;
    }

    public void Dispose() => subscription?.Dispose();

    private static List<CatalogModel> Build(CatalogOptions catalog)
    {
        var models = new List<CatalogModel>(catalog.Models.Count);
        foreach (var (id, model) in catalog.Models)
        {
            if (!catalog.Providers.TryGetValue(model.Provider, out var provider) || !IsUsable(provider))
            {
                continue;
            }

            models.Add(new CatalogModel(id, model.DisplayName ?? id, model.Provider, provider, model.ProviderModel ?? id, model.MaxOutputTokens, model.Temperature, model.TopP,
                model.BattleWeight, [.. model.IdentityWords, .. provider.IdentityWords]));
        }

        models.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return models;
    }

    private static bool IsUsable(ProviderOptions provider) =>
        provider.Kind == ProviderKind.Mock
        || (provider.Kind == ProviderKind.OpenAI && !provider.RequiresApiKey)
        || !string.IsNullOrWhiteSpace(provider.ResolveApiKey());
}
