using Arena.Tests.Modules.Messaging;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Arena.Tests.Telemetry;

/// The Host with its pipelines in-process and every span it exports kept in <see cref="Spans"/>.
public sealed class TracingApp : MessagingApp
{
    public SpanCapture Spans { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(Spans));
}
