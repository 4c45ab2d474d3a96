using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Features.StreamReplyLegacy;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
            .ValidateOnStart();
        builder.Services.AddSingleton<StreamRecorder>();
        builder.Services.AddScoped<StreamGate>();
        builder.Services.AddScoped<ArrivalMerge>();
        builder.Services.AddScoped<LegacyPump>();
        return builder;
    }

    /// <summary>
    /// Maps, under the given (authenticated) API group, the stream endpoint (public <c>/messages/stream</c>, with or without
    /// the trailing slash, and the gateway's internal <c>/pipelines/streaming/messages/stream</c>), the legacy pipeline's
    /// <c>/pipelines/legacy/messages/stream</c>, and the message list.
    /// </summary>
    public static IEndpointRouteBuilder MapMessagingEndpoints(this IEndpointRouteBuilder api)
    {
        // Routing matches a pattern with and without a trailing slash, so one mapping serves the old service's "/stream/".
        StreamReplyEndpoint.Map(api, "/messages/stream").WithName("StreamMessage");
        StreamReplyEndpoint.Map(api, "/pipelines/streaming/messages/stream").ExcludeFromDescription();
        LegacyStreamEndpoint.Map(api, "/pipelines/legacy/messages/stream");
        ListMessages.Map(api);
        return api;
    }
}
