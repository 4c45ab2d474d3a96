using Arena.Host.Defaults;
using Arena.Host.Gateway;
using Arena.Host.Web;
using Arena.Modules.Messaging;
using Arena.Modules.Providers;
using Arena.Modules.Sessions;
using Arena.Modules.Votes;
using Mediator;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddProvidersModule();
builder.AddSessionsModule();
builder.AddMessagingModule();
builder.AddVotesModule();
builder.AddGateway();
builder.AddWebPage();
builder.Services.AddMediator((MediatorOptions options) =>
{
    options.Namespace = "Arena.Host.Mediator";
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.GenerateTypesAsInternal = true;
    options.Assemblies =
    [
        typeof(Program),
        typeof(ProvidersModule),
        typeof(Arena.Modules.Providers.Contracts.FindModel),
        typeof(SessionsModule),
        typeof(Arena.Modules.Sessions.Contracts.FindSession),
        typeof(MessagingModule),
        typeof(Arena.Modules.Messaging.Contracts.ListSessionReplies),
        typeof(VotesModule),
    ];
    options.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
});

var app = builder.Build();

app.UseServiceDefaults();
app.MapWebPage();

var api = app.MapGroup("/api").RequireAuthorization(ServiceDefaults.ApiPolicy);
api.MapProvidersEndpoints();
api.MapSessionsEndpoints();
api.MapMessagingEndpoints();
api.MapVotesEndpoints();
app.MapGateway();

app.Run();

/// <summary>The Host's entry point, visible to the integration tests' application factory.</summary>
public partial class Program;
