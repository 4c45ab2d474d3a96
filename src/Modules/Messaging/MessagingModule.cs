using Arena.BuildingBlocks.Limits;
using Arena.BuildingBlocks.Settings;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features;
using Arena.Modules.Messaging.Features.ResumeStream;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Features.StreamReplyLegacy;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging;

/// <summary>Messages and the two pipelines that stream replies.</summary>
public static class MessagingModule
{
    // What the server itself needs to close its connections and the lease to leave, after the drain.
    private static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(5);

    /// <summary>Registers the messaging schema, its start-up recovery and the streaming pipeline.</summary>
    public static IHostApplicationBuilder AddMessagingModule(this IHostApplicationBuilder builder)
    {
        builder.AddMessagingPersistence();
        builder.Services.AddSettings<UserLimitOptions>(UserLimitOptions.Section);
        builder.Services.AddSettings<MessagingOptions, MessagingOptionsValidator>(MessagingOptions.SectionName);
        // The drain and the last writes after it must fit in the host's shutdown, or the host would cut them short.
        builder.Services.AddOptions<HostOptions>().PostConfigure<IOptions<MessagingOptions>>((host, messaging) =>
        {
            var needed = messaging.Value.DrainTimeout + messaging.Value.FinalWriteTimeout + ShutdownMargin;
            if (host.ShutdownTimeout != Timeout.InfiniteTimeSpan && host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        builder.Services.AddSingleton<StreamRecorder>();
        builder.Services.AddSingleton<StreamDrain>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StreamDrain>());
        builder.Services.AddSingleton<StreamTelemetry>();
        builder.Services.AddScoped<TurnAdmission>();
        builder.Services.AddScoped<ParticipantRun>();
        builder.Services.AddSingleton<TurnRunner>();
        builder.Services.AddSingleton<LegacyCapacity>();
        builder.Services.AddSingleton<LiveTurns>();
        builder.Services.AddSingleton<OwnerStreams>();
        builder.Services.AddSingleton<TurnFollower>();
        builder.Services.AddScoped<TurnForwarder>();
        builder.Services.AddScoped<TurnResume>();
        builder.Services.AddSingleton<TurnStops>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TurnStops>());
        return builder;
    }

    /// <summary>
    /// Maps, under the given (authenticated) API group, the message list and the public <c>POST /messages/stream/</c>
    /// twice, once per pipeline: the endpoints named <c>StreamMessage</c> (streaming, which carries the API description)
    /// and <c>StreamMessageLegacy</c>. Routing never selects them by itself; a router in front of them picks one per
    /// request by its name and runs it in-process. The resume of a session's stream is named <c>ResumeStream</c>: the
    /// Host lets a browser's EventSource authenticate there (and only there) with the token in the query.
    /// </summary>
    public static IEndpointRouteBuilder MapMessagingEndpoints(this IEndpointRouteBuilder api)
    {
        StreamReplyEndpoint.Map(api);
        LegacyStreamEndpoint.Map(api);
        ListMessages.Map(api);
        StopTurn.Map(api);
        ResumeStreamEndpoint.Map(api);
        return api;
    }
}
