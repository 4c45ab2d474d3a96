using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arena.Host.Defaults;

/// Publishes the readiness checks as the gauge arena.health.ready (1 ready, 0 not) each time they run, so that an alert
/// can see readiness failing without anything probing /health/ready. Before the Host has started (migrations still
/// applying, perhaps on a database being created) the checks are not run at all (see <see cref="Telemetry"/>), which
/// would fail and be logged as errors; not started is not ready.
internal sealed class ReadinessMetric(IMeterFactory meters, IHostApplicationLifetime lifetime) : IHealthCheckPublisher
{
    public const string MeterName = "Arena.Health";
    public const string Instrument = "arena.health.ready";

    private readonly Gauge<int> ready = meters.Create(MeterName).CreateGauge<int>(Instrument, "1", "Whether the readiness checks passed on their last run.");

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        ready.Record(lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested && report.Status == HealthStatus.Healthy ? 1 : 0);
        return Task.CompletedTask;
    }
}
