using Mediator;

namespace Arena.Modules.Providers.Contracts;

/// <summary>Every model a session can use, ordered by id.</summary>
public sealed record ListCatalogModels : IQuery<IReadOnlyList<ModelInfo>>;
