namespace Arena.Tests.Host.Gateway;

/// What a fake destination echoes of the request it received, naming itself.
public sealed record ReceivedRequest(string Destination, string Path, string Body, Dictionary<string, string> Headers);
