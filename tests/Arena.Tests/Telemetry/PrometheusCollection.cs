namespace Arena.Tests.Telemetry;

/// Runs the Prometheus tests alone, after the parallel ones: the OpenTelemetry SDK in one Host listens to the same-named
/// meters of every Host in the test process, and an instrument of a Host that another test class has disposed can take
/// the metric stream of the scraped Host's identical one with it.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PrometheusCollection
{
    public const string Name = "Prometheus";
}
