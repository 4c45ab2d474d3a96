using Arena.BuildingBlocks.Settings;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Arena.Host.Defaults;

/// Traces, metrics and logs for dashboards: HTTP in and out, PostgreSQL (Npgsql commands and pool), the .NET runtime, the
/// reverse proxy, and every "Arena.*" source and meter (the pipelines, the gateway, the GenAI client spans and metrics).
/// Metrics are scraped at /metrics (see <see cref="MetricsEndpointOptions"/>); everything goes out over OTLP as well when
/// the standard OTEL_EXPORTER_OTLP_ENDPOINT is set.
internal static class Telemetry
{
    public const string ArenaSources = "Arena.*";

    /// Off: no OpenTelemetry at all (no traces, metrics, /metrics or OTLP); for measuring what telemetry costs.
    public const string EnabledSetting = "Arena:Telemetry:Enabled";

    // Latencies of a streamed reply run from a few milliseconds (the first chunk of a cached or local model) to minutes
    // (a long compare); the SDK's default buckets stop at 10 s and crowd the milliseconds.
    public static readonly double[] LatencyBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

    public static readonly double[] TokenRateBuckets = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000];

    private static readonly string[] LatencyInstruments =
        ["arena.stream.time_to_first_chunk", "arena.stream.duration", "gen_ai.client.operation.duration", "gen_ai.client.operation.time_to_first_chunk"];

    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSettings<MetricsEndpointOptions, MetricsEndpointOptionsValidator>(MetricsEndpointOptions.Section);
        builder.Services.AddTransient<IStartupFilter, TelemetryStartupFilter>();
        builder.Services.AddSingleton<IHealthCheckPublisher, ReadinessMetric>();
        builder.Services.AddOptions<HealthCheckPublisherOptions>().Configure<IHostApplicationLifetime>((options, lifetime) =>
        {
            // The publisher's first run may come while the migrations still apply; see ReadinessMetric.
            options.Predicate = check => lifetime.ApplicationStarted.IsCancellationRequested && check.Tags.Contains("ready");
            options.Delay = TimeSpan.FromSeconds(1);
            options.Period = TimeSpan.FromSeconds(10);
        });

        if (!builder.Configuration.GetValue(EnabledSetting, true))
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName: builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing
                .AddSource(ArenaSources)
                .AddSource("Yarp.ReverseProxy")
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(ArenaSources)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddView("arena.stream.output_tokens_per_second", new ExplicitBucketHistogramConfiguration { Boundaries = TokenRateBuckets })
                    // Microsoft.Extensions.AI records this one for every chunk; a dropped instrument stays disabled, so
                    // a chunk costs no histogram.
                    .AddView("gen_ai.client.operation.time_per_output_chunk", MetricStreamConfiguration.Drop)
                    .AddPrometheusExporter();
                foreach (var instrument in LatencyInstruments)
                {
                    metrics.AddView(instrument, new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets });
                }
            })
            .WithLogging();

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}
