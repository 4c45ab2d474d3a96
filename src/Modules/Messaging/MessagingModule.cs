using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Arena.Modules.Messaging;

/// <summary>Messages and the two pipelines that stream replies.</summary>
public static class MessagingModule
{
    /// <summary>Registers the messaging services.</summary>
    public static IHostApplicationBuilder AddMessagingModule(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the messaging endpoints under the given (authenticated) API group.</summary>
    public static IEndpointRouteBuilder MapMessagingEndpoints(this IEndpointRouteBuilder api) => api;
}
