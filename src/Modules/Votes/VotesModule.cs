using Arena.BuildingBlocks.Database;
using Arena.BuildingBlocks.Settings;
using Arena.Modules.Votes.Domain;
using Arena.Modules.Votes.Features;
using Arena.Modules.Votes.Features.Leaderboard;
using Arena.Modules.Votes.Persistence;
using FluentValidation;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Arena.Modules.Votes;

/// <summary>Votes on battles and compares, and the leaderboard.</summary>
public static class VotesModule
{
    /// <summary>Registers the votes schema, the battle and leaderboard settings and the leaderboard's background refresh.</summary>
    public static IHostApplicationBuilder AddVotesModule(this IHostApplicationBuilder builder)
    {
        builder.AddModuleDatabase<VotesDbContext>("Votes", VotesDbContext.Schema);
        builder.Services.AddValidatorsFromAssemblyContaining<VotesDbContext>(ServiceLifetime.Scoped, includeInternalTypes: true);
        builder.Services.AddSettings<BattlesOptions, BattlesOptionsValidator>(BattlesOptions.SectionName);
        builder.Services.AddSettings<LeaderboardOptions, LeaderboardOptionsValidator>(LeaderboardOptions.SectionName);
        builder.Services.AddSingleton<JudgeHash>();
        builder.Services.AddSingleton<LeaderboardSignal>();
        builder.Services.AddSingleton<LeaderboardTelemetry>();
        builder.Services.AddHostedService<LeaderboardRefresher>();
        return builder;
    }

    /// <summary>
    /// Maps, under the given (authenticated) API group, <c>POST /sessions/{id}/vote</c>, <c>GET /votes/export</c>
    /// (role <c>arena:admin</c>) and <c>GET /leaderboard</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapVotesEndpoints(this IEndpointRouteBuilder api)
    {
        CastVote.Map(api);
        ExportVotes.Map(api);
        GetLeaderboard.Map(api);
        return api;
    }
}
