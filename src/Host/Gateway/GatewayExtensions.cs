using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Arena.Host.Gateway;

/// The YARP gateway that splits the public stream API between the streaming and legacy pipelines.
internal static class GatewayExtensions
{
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section);
        services.AddSingleton<GatewaySecret>();
        services.AddSingleton<SelfAddress>();
        services.AddSingleton<GatewayTelemetry>();
        services.AddSingleton<GatewayRouting>();
        services.AddHostedService<SelfAddressDiscovery>();
        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfigProvider>();

        services.AddReverseProxy()
            // Operators may proxy further routes with plain YARP configuration; nothing else under /api is proxied by default.
            .LoadFromConfig(builder.Configuration.GetSection($"{GatewayOptions.Section}:ReverseProxy"))
            .AddTransforms(AddStreamTransforms);
        return builder;
    }

    /// Must run before authentication so that a client probing /api/pipelines/** gets 404 whether or not it has a token.
    public static WebApplication UseGateway(this WebApplication app)
    {
        app.UseMiddleware<PipelineEndpointGuard>();
        return app;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        var routing = app.Services.GetRequiredService<GatewayRouting>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(routing.InvokeAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    private static void AddStreamTransforms(Yarp.ReverseProxy.Transforms.Builder.TransformBuilderContext context)
    {
        if (context.Route.RouteId != GatewayProxyConfigProvider.RouteId)
        {
            return;
        }

        // Destination addresses end where /api ended: .../api/pipelines/streaming or the old service's .../api.
        context.AddPathRemovePrefix("/api");
        // A compressing destination would hold back server-sent events until its compressor flushes.
        context.AddRequestHeaderRemove("Accept-Encoding");

        var secret = context.Services.GetRequiredService<GatewaySecret>();
        context.AddRequestTransform(transform =>
        {
            if (transform.HttpContext.Features.Get<GatewayDecision>() is { InProcess: true })
            {
                transform.ProxyRequest.Headers.TryAddWithoutValidation(GatewaySecret.Header, secret.Value);
            }

            return ValueTask.CompletedTask;
        });
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
