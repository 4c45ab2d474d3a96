using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Arena.Host.Gateway;

/// Lets dashboards compare the two pipelines: every routed request counts once, tagged with where it went and why. The
/// same two tags go on the gateway's span, YARP's own "proxy.forwarder" (current throughout the proxy pipeline), under
/// which the chosen pipeline's span runs, in-process or across the network.
internal sealed class GatewayTelemetry
{
    public const string MeterName = "Arena.Gateway";
    public const string PipelineTag = "arena.gateway.pipeline";
    public const string ReasonTag = "arena.gateway.reason";

    public const string RoutedInstrument = "arena.gateway.requests";

    private readonly Counter<long> routed;

    public GatewayTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        routed = meter.CreateCounter<long>(RoutedInstrument, "{request}", "Stream requests routed by the gateway, by pipeline and reason.");
    }

    public void Record(GatewayDecision decision)
    {
        Activity.Current?.SetTag(PipelineTag, decision.Pipeline).SetTag(ReasonTag, decision.Reason);
        routed.Add(1, new KeyValuePair<string, object?>(PipelineTag, decision.Pipeline), new KeyValuePair<string, object?>(ReasonTag, decision.Reason));
    }
}
