using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arena.Host.Defaults;

/// Publishes the readiness checks as the gauge arena.health.ready (1 ready, 0 not), so that an alert can see readiness
/// failing without anything probing /health/ready. No point is reported before the first run of the checks.
internal sealed class ReadinessMetric : IHealthCheckPublisher
{
    public const string MeterName = "Arena.Health";
    public const string Instrument = "arena.health.ready";

    private int state = -1;

    public ReadinessMetric(IMeterFactory meters)
    {
        meters.Create(MeterName).CreateObservableGauge(Instrument, Observe, "1", "Whether the readiness checks passed on their last run.");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        Volatile.Write(ref state, report.Status == HealthStatus.Healthy ? 1 : 0);
        return Task.CompletedTask;
    }

    private IEnumerable<Measurement<int>> Observe()
    {
        var value = Volatile.Read(ref state);
        return value < 0 ? [] : [new Measurement<int>(value)];
    }
}
