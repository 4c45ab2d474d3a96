using Arena.Modules.Providers.Domain;
using Arena.Modules.Providers.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Arena.Modules.Providers;

/// <summary>The model catalog and the provider clients that stream completions.</summary>
public static class ProvidersModule
{
    /// <summary>Registers the catalog (from the <c>Arena</c> configuration section) and the provider clients.</summary>
    public static IHostApplicationBuilder AddProvidersModule(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.SectionName);
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ChatClientFactory>();
        return builder;
    }

    /// <summary>Maps <c>/models</c> under the given (authenticated) API group.</summary>
    public static IEndpointRouteBuilder MapProvidersEndpoints(this IEndpointRouteBuilder api)
    {
        var models = api.MapGroup("/models").WithTags("Models");
        ListModels.Map(models);
        return api;
    }
}
