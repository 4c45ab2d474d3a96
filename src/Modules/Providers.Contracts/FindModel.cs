using Mediator;

namespace Arena.Modules.Providers.Contracts;

/// <summary>Looks up a model in the catalog; answers <c>null</c> for an unknown or unavailable model.</summary>
public sealed record FindModel(string ModelId) : IQuery<ModelInfo?>;

/// <summary>A catalog model as other modules see it: never carries provider secrets.</summary>
/// <param name="Id">The catalog id.</param>
/// <param name="DisplayName">The name shown to people.</param>
/// <param name="Provider">The configured provider's name.</param>
/// <param name="MaxOutputTokens">The reply's token cap.</param>
/// <param name="BattleWeight">Relative chance of being drawn into a battle; 0 keeps the model out of battles.</param>
/// <param name="IdentityWords">Words that give the model away in a reply, as configured for the model and its provider.</param>
/// <param name="ProviderKind">The provider's protocol (<c>mock</c>, <c>openai</c>, <c>anthropic</c>).</param>
public sealed record ModelInfo(
    string Id,
    string DisplayName,
    string Provider,
    int MaxOutputTokens,
    double BattleWeight = 1,
    IReadOnlyList<string>? IdentityWords = null,
    string? ProviderKind = null);
