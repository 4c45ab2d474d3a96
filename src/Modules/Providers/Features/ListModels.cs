using Arena.Modules.Providers.Domain;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arena.Modules.Providers.Features;

internal static class ListModels
{
    internal sealed record Query : IQuery<ModelList>;

    internal sealed record ModelList(IReadOnlyList<Model> Models);

    internal sealed record Model(string Id, string DisplayName, string Provider, string ProviderKind, int MaxOutputTokens);

    internal sealed class Handler(ModelCatalog catalog) : IQueryHandler<Query, ModelList>
    {
        public ValueTask<ModelList> Handle(Query query, CancellationToken cancellationToken)
        {
            var models = catalog.Available
                .Select(m => new Model(m.Id, m.DisplayName, m.ProviderName, m.Provider.Kind.ToString().ToLowerInvariant(), m.MaxOutputTokens))
                .ToList();
            return ValueTask.FromResult(new ModelList(models));
        }
    }

    internal static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", async (IMediator mediator, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new Query(), cancellationToken)))
            .WithName("ListModels")
            // The API page lists the schemas under "Models"; a tag of that name would read as a second such section.
            .WithTags("Catalog")
            .WithSummary("Lists the models a session can use.");
}
