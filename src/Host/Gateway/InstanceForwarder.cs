using System.Net;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Arena.Host.Gateway;

/// Forwards a request to another instance of the Host with YARP's forwarder, which relays status, headers and body as
/// they arrive, unbuffered (so server-sent events keep their pace), and cancels the forwarded request when the client
/// leaves. Idle time is bounded by the gateway's own <see cref="GatewayOptions.ActivityTimeout"/>.
internal sealed class InstanceForwarder(IHttpForwarder forwarder, IOptionsMonitor<GatewayOptions> options) : IDisposable
{
    // Shared by every forward, so that the connections to each instance are pooled. The request is the client's own, so
    // the handler adds nothing of its own to it (a proxy, cookies, redirects, decompression), as YARP's own factory has it.
    private readonly HttpMessageInvoker client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        // Instances come and go behind their names: a pooled connection must not outlive the address it resolved to.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    /// False when nothing reached the client because the instance could not be reached (or answered nothing that can be
    /// relayed); the response is left unstarted and clean for the caller's own answer.
    public async ValueTask<bool> ForwardAsync(HttpContext context, Uri instance, CancellationToken cancellationToken)
    {
        var config = new ForwarderRequestConfig { ActivityTimeout = options.CurrentValue.ActivityTimeout };
        var error = await forwarder.SendAsync(context, instance.AbsoluteUri, client, config, InstanceForwardTransformer.Instance, cancellationToken);
        // Once started, a response cut short by either side has been aborted by YARP, so the client reconnects with the
        // last id it saw rather than taking the truncated stream for a whole one.
        if (error == ForwarderError.None || context.Response.HasStarted)
        {
            return true;
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            // YARP's 400 for a client that left before the answer came would read as a bad request in the request log.
            context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return true;
        }

        // YARP's 502 gives way to the caller's own answer.
        context.Response.Clear();
        return false;
    }

    public void Dispose() => client.Dispose();
}
