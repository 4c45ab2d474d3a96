using Mediator;

namespace Arena.Modules.Providers.Contracts;

/// <summary>Looks up a model in the catalog; answers <c>null</c> for an unknown or unavailable model.</summary>
public sealed record FindModel(string ModelId) : IQuery<ModelInfo?>;

/// <summary>A catalog model as other modules see it: never carries provider secrets.</summary>
public sealed record ModelInfo(string Id, string DisplayName, string Provider, int MaxOutputTokens);
