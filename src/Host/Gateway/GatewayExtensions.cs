using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Arena.Host.Gateway;

/// The YARP gateway that splits the public stream API between the streaming and legacy pipelines; and YARP's forwarder
/// for the resumes whose turn another instance generates (Messaging names the instance).
internal static class GatewayExtensions
{
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section);
        services.AddSingleton<GatewayTelemetry>();
        services.AddSingleton<GatewayRouting>();
        services.AddSingleton<InProcessDestinations>();
        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfigProvider>();
        services.AddSingleton<IForwarderHttpClientFactory, GatewayHttpClientFactory>();
        services.AddSingleton<InstanceForwarder>();
        services.AddHttpContextAccessor();

        services.AddReverseProxy()
            // Operators may proxy further routes with plain YARP configuration; nothing else under /api is proxied by default.
            .LoadFromConfig(builder.Configuration.GetSection($"{GatewayOptions.Section}:ReverseProxy"))
            .AddTransforms(AddStreamTransforms);
        return builder;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        var routing = app.Services.GetRequiredService<GatewayRouting>();
        var inProcess = app.Services.GetRequiredService<InProcessDestinations>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(routing.InvokeAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
            // Last, where the forwarder would take over, like YARP's own HTTP.sys delegation step.
            proxy.Use(inProcess.InvokeAsync);
        });
        return app;
    }

    private static void AddStreamTransforms(Yarp.ReverseProxy.Transforms.Builder.TransformBuilderContext context)
    {
        if (context.Route.RouteId != GatewayProxyConfigProvider.RouteId)
        {
            return;
        }

        // Only external destinations are forwarded; their addresses end where /api ended, e.g. the old service's .../api.
        context.AddPathRemovePrefix("/api");
        // A compressing destination would hold back server-sent events until its compressor flushes.
        context.AddRequestHeaderRemove("Accept-Encoding");
        // An external legacy service does not say which pipeline answered; the gateway does for it.
        context.AddResponseTransform(transform =>
        {
            var response = transform.HttpContext.Response;
            if (!response.Headers.ContainsKey(Pipelines.Header) && transform.HttpContext.Features.Get<GatewayDecision>() is { } decision)
            {
                response.Headers[Pipelines.Header] = decision.Pipeline;
            }

            return ValueTask.CompletedTask;
        });
    }
}
