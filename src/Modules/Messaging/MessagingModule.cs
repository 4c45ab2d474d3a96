using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Features.StreamReplyLegacy;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Arena.Modules.Messaging;

/// <summary>Messages and the two pipelines that stream replies.</summary>
public static class MessagingModule
{
    /// <summary>Registers the messaging schema, its start-up recovery and the streaming pipeline.</summary>
    public static IHostApplicationBuilder AddMessagingModule(this IHostApplicationBuilder builder)
    {
        builder.AddMessagingPersistence();
        builder.Services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.PartialFlushInterval > TimeSpan.Zero && o.KeepAliveInterval > TimeSpan.Zero && o.FinalWriteTimeout > TimeSpan.Zero, "Arena:Messaging intervals must be positive.")
            .Validate(o => o.StreamHostHeartbeat > TimeSpan.Zero && o.StreamHostLease > 2 * o.StreamHostHeartbeat, "Arena:Messaging:StreamHostLease must span more than two heartbeats.")
            .ValidateOnStart();
        builder.Services.AddSingleton<StreamRecorder>();
        builder.Services.AddSingleton<StreamTelemetry>();
        builder.Services.AddScoped<StreamGate>();
        builder.Services.AddScoped<ParticipantRun>();
        builder.Services.AddScoped<ArrivalMerge>();
        builder.Services.AddScoped<LegacyPump>();
        builder.Services.AddSingleton<LegacyCapacity>();
        return builder;
    }

    /// <summary>
    /// Maps, under the given (authenticated) API group, each pipeline's stream endpoint at its own path
    /// (<c>/pipelines/streaming/messages/stream</c>, <c>/pipelines/legacy/messages/stream</c>), where the Host's gateway
    /// sends the public <c>/messages/stream</c>, and the message list.
    /// </summary>
    public static IEndpointRouteBuilder MapMessagingEndpoints(this IEndpointRouteBuilder api)
    {
        // The public path belongs to the gateway, which picks a pipeline per session and forwards to one of these;
        // clients cannot reach these paths, so they stay out of the API description.
        StreamReplyEndpoint.Map(api, "/pipelines/streaming/messages/stream");
        LegacyStreamEndpoint.Map(api, "/pipelines/legacy/messages/stream");
        ListMessages.Map(api);
        return api;
    }
}
