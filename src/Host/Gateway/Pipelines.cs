namespace Arena.Host.Gateway;

/// The two destinations of the stream route; the names are also the YARP destination ids and the X-Arena-Pipeline values.
internal static class Pipelines
{
    public const string Streaming = "streaming";
    public const string Legacy = "legacy";

    public const string Header = "X-Arena-Pipeline";

    /// The names under which the Messaging module maps each pipeline's endpoint for the public stream route.
    public static string EndpointName(string pipeline) => pipeline == Streaming ? "StreamMessage" : "StreamMessageLegacy";

    public static string Other(string pipeline) => pipeline == Streaming ? Legacy : Streaming;

    public static string? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        Streaming => Streaming,
        Legacy => Legacy,
        _ => null,
    };
}
