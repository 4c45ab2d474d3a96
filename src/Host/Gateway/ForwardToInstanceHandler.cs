using Arena.Modules.Messaging.Contracts;
using Mediator;

namespace Arena.Host.Gateway;

/// Messaging says which instance holds a turn; the Host forwards to it. The request to forward is the one being served,
/// which the contract cannot name without tying Messaging's contracts to ASP.NET Core.
internal sealed class ForwardToInstanceHandler(IHttpContextAccessor http, InstanceForwarder forwarder) : ICommandHandler<ForwardToInstance, bool>
{
    public ValueTask<bool> Handle(ForwardToInstance command, CancellationToken cancellationToken)
    {
        var context = http.HttpContext ?? throw new InvalidOperationException($"{nameof(ForwardToInstance)} is sent only while a request is being served.");
        return forwarder.ForwardAsync(context, command.Instance, cancellationToken);
    }
}
