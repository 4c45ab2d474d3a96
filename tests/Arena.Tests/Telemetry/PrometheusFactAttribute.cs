namespace Arena.Tests.Telemetry;

/// A test that needs the Prometheus that scripts/test.sh starts through scripts/prometheus.sh; skipped, saying why, where
/// it could not be installed or started.
public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (PrometheusServer.Url is null)
        {
            Skip = "No Prometheus: ARENA_TEST_PROMETHEUS_URL is not set. scripts/test.sh starts one with scripts/prometheus.sh, "
                + "which installs Debian's prometheus package; run the tests that way (or source scripts/prometheus.sh first).";
        }
    }
}
