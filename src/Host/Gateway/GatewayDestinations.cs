namespace Arena.Host.Gateway;

internal sealed class GatewayDestinations
{
    public GatewayDestinationOptions Streaming { get; set; } = new();

    public GatewayDestinationOptions Legacy { get; set; } = new();

    public GatewayDestinationOptions For(string pipeline) => pipeline == Pipelines.Streaming ? Streaming : Legacy;
}
