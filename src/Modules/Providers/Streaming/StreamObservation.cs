namespace Arena.Modules.Providers.Streaming;

/// What the wire said that an SDK may not tell: whether the provider's end marker arrived and whether an
/// OpenAI-style <c>data: {"error": ...}</c> frame came. One per completion attempt; it reaches the HTTP handler
/// through an AsyncLocal because the SDKs create the requests themselves.
internal sealed class StreamObservation
{
    private static readonly AsyncLocal<StreamObservation?> Ambient = new();

    private volatile bool sawEndMarker;
    private volatile bool sawResponse;

    public static StreamObservation? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    public bool SawEndMarker => sawEndMarker;

    public bool SawStreamingResponse => sawResponse;

    public bool SawError { get; private set; }

    /// The error frame's own message, when it has one; otherwise <see cref="ErrorFrame"/> is all there is.
    public string? ErrorMessage { get; private set; }

    public string? ErrorType { get; private set; }

    public string? ErrorFrame { get; private set; }

    public void MarkResponse() => sawResponse = true;

    public void MarkEnd() => sawEndMarker = true;

    public void RecordError(string? type, string? message, string frame)
    {
        if (!SawError)
        {
            SawError = true;
            ErrorType = type;
            ErrorMessage = message;
            ErrorFrame = frame;
        }
    }
}
