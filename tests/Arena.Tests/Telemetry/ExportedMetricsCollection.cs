namespace Arena.Tests.Telemetry;

/// Runs the tests that read a Host's exported metric points alone, after the parallel ones: the OpenTelemetry SDK in one
/// Host listens to the same-named meters of every Host in the test process, and an instrument of a Host that another test
/// class has disposed can take the metric stream of the measured Host's identical one with it.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExportedMetricsCollection
{
    public const string Name = "Exported metrics";
}
