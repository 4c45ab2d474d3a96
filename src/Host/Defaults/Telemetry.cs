using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Arena.Host.Defaults;

/// Traces and metrics for dashboards: HTTP in and out, PostgreSQL, the reverse proxy, and every "Arena.*" source and meter
/// (the pipelines, the gateway, the GenAI client spans). Exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
internal static class Telemetry
{
    public const string ArenaSources = "Arena.*";

    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName: builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing
                .AddSource(ArenaSources)
                .AddSource("Yarp.ReverseProxy")
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(ArenaSources)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter("System.Runtime")
                .AddNpgsqlInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}
