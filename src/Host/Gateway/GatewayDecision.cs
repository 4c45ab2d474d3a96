namespace Arena.Host.Gateway;

/// Where the gateway sent the current request and why; kept as a request feature for the response transform.
internal sealed record GatewayDecision(string Pipeline, string Reason);
