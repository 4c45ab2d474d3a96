using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Arena.Host.Defaults;

/// Puts the scrape endpoint and the trace-id header in front of everything else (gateway, authentication), so that a
/// scrape needs no token and every response, problem or stream, names the trace a user's report can be found by.
internal sealed partial class TelemetryStartupFilter(IOptions<MetricsEndpointOptions> options, ILoggerFactory loggers) : IStartupFilter
{
    public const string TraceIdHeader = "X-Trace-Id";

    // The gateway's hop to the pipelines; the public request around it logs the outcome.
    private static readonly PathString PipelinePaths = "/api/pipelines";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static (context, nextMiddleware) =>
        {
            // At OnStarting, because the exception handler clears headers set earlier when it writes a problem.
            context.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                if (http.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
                {
                    http.Response.Headers[TraceIdHeader] = activity.TraceId.ToHexString();
                }

                return Task.CompletedTask;
            }, context);
            return nextMiddleware(context);
        });

        // An expected refusal (4xx, a 409 while a reply streams) is one line at Information, never an error: the
        // endpoints answer it without throwing, so nothing else logs it.
        var requests = loggers.CreateLogger("Arena.Host.Requests");
        app.Use(async (context, nextMiddleware) =>
        {
            await nextMiddleware(context);
            var status = context.Response.StatusCode;
            if (status is >= 400 and < 500 && !context.Request.Path.StartsWithSegments(PipelinePaths))
            {
                LogRefused(requests, context.Request.Method, context.Request.Path, status);
            }
        });

        var metrics = options.Value;
        if (metrics.Enabled && app.ApplicationServices.GetService<MeterProvider>() is not null)
        {
            var allowed = metrics.AllowedNetworks.Select(network => IPNetwork.Parse(network)).ToArray();
            app.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null,
                predicate: context => context.Request.Path == metrics.Path && (metrics.Port is null || context.Connection.LocalPort == metrics.Port),
                path: null,
                configureBranchedPipeline: branch => branch.Use((context, nextMiddleware) =>
                {
                    if (allowed.Length > 0 && !IsAllowed(context.Connection.RemoteIpAddress, allowed))
                    {
                        context.Response.StatusCode = StatusCodes.Status403Forbidden;
                        return Task.CompletedTask;
                    }

                    return nextMiddleware(context);
                }),
                optionsName: null);
        }

        next(app);
    };

    private static bool IsAllowed(IPAddress? remote, IPNetwork[] allowed)
    {
        if (remote is null)
        {
            return false;
        }

        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return allowed.Any(network => network.Contains(address));
    }

    [LoggerMessage(LogLevel.Information, "{Method} {Path} answered {StatusCode}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int statusCode);
}
