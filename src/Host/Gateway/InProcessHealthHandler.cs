using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arena.Host.Gateway;

/// Answers YARP's active health probes of in-process destinations from this process's own readiness checks (the same ones
/// /health/ready runs), so that they take part in failover with YARP's interval, timeout and failure threshold but never
/// cost a request over loopback. External destinations are probed over the network as usual. Until the Host has started
/// (its migrations applied) the answer is "not ready" without running the checks: a database still being created would
/// fail them, and the health-check service logs every failed check as an error.
internal sealed class InProcessHealthHandler(HealthCheckService health, IHostApplicationLifetime lifetime) : DelegatingHandler
{
    public const string ReadyTag = "ready";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!InProcessDestinations.IsInProcess(request.RequestUri))
        {
            return await base.SendAsync(request, cancellationToken);
        }

        if (request.Method != HttpMethod.Get)
        {
            throw new InvalidOperationException("In-process destinations are served in-process and never forwarded.");
        }

        // Stopping is not ready either: the in-process pipelines refuse new streams while the instance drains.
        if (!lifetime.ApplicationStarted.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
        }

        var report = await health.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), cancellationToken);
        return new HttpResponseMessage(report.Status == HealthStatus.Healthy ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
    }
}
