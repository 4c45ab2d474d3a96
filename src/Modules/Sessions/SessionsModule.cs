using Arena.BuildingBlocks.Database;
using Arena.BuildingBlocks.Settings;
using Arena.Modules.Sessions.Domain;
using Arena.Modules.Sessions.Features;
using Arena.Modules.Sessions.Persistence;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Arena.Modules.Sessions;

/// <summary>Chat sessions and their owners.</summary>
public static class SessionsModule
{
    /// <summary>Registers the sessions schema, its migrations and the session slices' validators.</summary>
    public static IHostApplicationBuilder AddSessionsModule(this IHostApplicationBuilder builder)
    {
        // The plain statements run before every turn take the data source, not a context: a context injected into the
        // turn's handler stayed leased for the whole stream, and past the context pool's 1,024 every stream built one of its own.
        builder.AddModuleDatabase<SessionsDbContext>("Sessions", SessionsDbContext.Schema);
        builder.Services.AddSettings<SessionsOptions>(SessionsOptions.SectionName);
        builder.Services.AddSettings<BattleDrawOptions>(BattleDrawOptions.SectionName);
        builder.Services.AddValidatorsFromAssemblyContaining<SessionsDbContext>(ServiceLifetime.Scoped, includeInternalTypes: true);
        builder.Services.AddSingleton<SessionActivity>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SessionActivity>());
        return builder;
    }

    /// <summary>Maps <c>/sessions</c> under the given (authenticated) API group.</summary>
    public static IEndpointRouteBuilder MapSessionsEndpoints(this IEndpointRouteBuilder api)
    {
        var sessions = api.MapGroup("/sessions").WithTags("Sessions");
        CreateSession.Map(sessions);
        ListSessions.Map(sessions);
        GetSession.Map(sessions);
        RenameSession.Map(sessions);
        DeleteSession.Map(sessions);
        ForkSession.Map(sessions);
        return api;
    }
}
