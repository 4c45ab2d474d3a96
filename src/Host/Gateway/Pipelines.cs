namespace Arena.Host.Gateway;

/// The two destinations of the stream route; the names are also the YARP destination ids and the X-Arena-Pipeline values.
internal static class Pipelines
{
    public const string Streaming = "streaming";
    public const string Legacy = "legacy";

    public const string Header = "X-Arena-Pipeline";

    public static string Other(string pipeline) => pipeline == Streaming ? Legacy : Streaming;

    public static string? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        Streaming => Streaming,
        Legacy => Legacy,
        _ => null,
    };
}
