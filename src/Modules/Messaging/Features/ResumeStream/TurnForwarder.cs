using Arena.Modules.Messaging.Contracts;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Persistence;
using Mediator;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Arena.Modules.Messaging.Features.ResumeStream;

/// Finds the instance that generates the turn through the stream-host lease table (each instance records its address
/// there with every heartbeat) and has the Host forward the resume to it. A forwarded request carries a marker, so the
/// other instance checks ownership itself and never forwards again.
internal sealed class TurnForwarder(IDbContextFactory<MessagingDbContext> contexts, StreamHostLease host, TimeProvider clock, IOptions<MessagingOptions> options, IMediator mediator)
{
    public bool IsForwarded(HttpContext context) => context.Request.Headers.ContainsKey(ForwardToInstance.MarkerHeader);

    /// False when no other live instance with an address holds the turn, or it could not be reached; nothing was written then.
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

        if (string.IsNullOrEmpty(address) || !Uri.TryCreate(address, UriKind.Absolute, out var instance) || (instance.Scheme != Uri.UriSchemeHttp && instance.Scheme != Uri.UriSchemeHttps))
        {
            return false;
        }

        return await mediator.Send(new ForwardToInstance(instance), cancellationToken);
    }
}
