using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Arena.Modules.Messaging.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.ResumeStream;

/// Sends a resume to the instance that generates the turn, found through the stream-host lease table (each instance
/// records its address there with every heartbeat), and relays its answer as it arrives. The forwarded request carries
/// the client's own credentials and a marker, so the other instance checks ownership itself and never forwards again.
internal sealed class TurnForwarder(IDbContextFactory<MessagingDbContext> contexts, StreamHostLease host, TimeProvider clock, IOptions<MessagingOptions> options) : IDisposable
{
    public const string ForwardedHeader = "X-Arena-Forwarded";

    private readonly HttpClient client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    public bool IsForwarded(HttpContext context) => context.Request.Headers.ContainsKey(ForwardedHeader);

    /// False when no other live instance with an address holds the turn; nothing was written then.
    public async Task<bool> TryForwardAsync(HttpContext context, IReadOnlyList<MessageRows.StoredReply> replies, CancellationToken cancellationToken)
    {
        var hostId = replies.FirstOrDefault(r => r.Status == MessageStatus.Streaming)?.StreamHostId;
        if (hostId is null || hostId == host.Id)
        {
            return false;
        }

        var alive = clock.GetUtcNow() - options.Value.StreamHostLease;
        string? address;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            address = await db.StreamHosts.AsNoTracking().Where(h => h.Id == hostId && h.HeartbeatAt > alive).Select(h => h.Address).FirstOrDefaultAsync(cancellationToken);
        }

        if (string.IsNullOrEmpty(address) || !Uri.TryCreate(address, UriKind.Absolute, out var baseAddress))
        {
            return false;
        }

        var request = context.Request;
        using var forward = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, request.PathBase + request.Path + request.QueryString));
        forward.Headers.TryAddWithoutValidation("Authorization", (string?)request.Headers.Authorization);
        forward.Headers.TryAddWithoutValidation("Last-Event-ID", (string?)request.Headers["Last-Event-ID"]);
        forward.Headers.TryAddWithoutValidation(ForwardedHeader, "1");
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return false;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                StreamResponse.PrepareStream(context);
            }
            else if (response.Content.Headers.ContentType is { } contentType)
            {
                context.Response.ContentType = contentType.ToString();
            }

            try
            {
                await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    await context.Response.Body.FlushAsync(cancellationToken);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or HttpRequestException)
            {
                // Either side went away; the client reconnects with the last id it saw.
            }
        }

        return true;
    }

    public void Dispose() => client.Dispose();
}
