namespace Arena.Tests.Host.Gateway;

public sealed record ReceivedRequest(string Destination, string Path, string Body, Dictionary<string, string> Headers);
