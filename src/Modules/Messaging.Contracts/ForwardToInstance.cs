using Mediator;

namespace Arena.Modules.Messaging.Contracts;

/// <summary>
/// Forwards the HTTP request being served to another instance of the Host, at <see cref="Instance"/> (the address it
/// records with its stream lease), and relays that instance's answer to the client as it arrives. Only the endpoint that
/// serves the request may send this, before it has written anything; the Host handles it. The forwarded request carries
/// the client's credentials, its query and its <c>Last-Event-ID</c>, and <see cref="MarkerHeader"/>, so that the other
/// instance checks ownership itself and never forwards again. Answers <c>false</c> when that instance could not be
/// reached and nothing was written: the caller still answers the client then.
/// </summary>
public sealed record ForwardToInstance(Uri Instance) : ICommand<bool>
{
    /// <summary>Set, with the value <c>1</c>, on every forwarded request; it grants nothing, it only forbids forwarding on.</summary>
    public const string MarkerHeader = "X-Arena-Forwarded";
}
