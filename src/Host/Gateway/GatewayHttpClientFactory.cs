using Microsoft.Extensions.Diagnostics.HealthChecks;
using Yarp.ReverseProxy.Forwarder;

namespace Arena.Host.Gateway;

/// YARP's own client factory, with the in-process health answer in front of the network handler.
internal sealed class GatewayHttpClientFactory(HealthCheckService health, IHostApplicationLifetime lifetime, ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new InProcessHealthHandler(health, lifetime) { InnerHandler = handler };
}
