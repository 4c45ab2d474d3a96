namespace Arena.Modules.Providers.Streaming;

/// What the wire said that an SDK may not tell: whether the provider's end marker arrived and whether an
/// OpenAI-style error frame came (an <c>error</c> object anywhere in a chunk, or
/// <c>finish_reason: "error"</c>), and how long a refusal asked to wait. One per completion attempt; it reaches the HTTP handler
/// through an AsyncLocal because the SDKs create the requests themselves.
internal sealed class StreamObservation
{
    private static readonly AsyncLocal<StreamObservation?> Ambient = new();

    private volatile bool sawEndMarker;
    private volatile bool sawResponse;
    private volatile bool sawReasoningName;

    public static StreamObservation? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    public bool SawEndMarker => sawEndMarker;

    public bool SawStreamingResponse => sawResponse;

    public bool SawError { get; private set; }

    /// Whether a chunk may carry <c>delta.reasoning</c>, the field the SDK does not model: looking it up through the
    /// SDK's JSON patch parses a path on every chunk, a cost on the hot path that shows in the profile, so it is looked up
    /// only once a data line named it, or always when no observer saw the bytes.
    public bool MayCarryUnmodelledReasoning => sawReasoningName || !sawResponse;

    /// The error frame's own message, when it has one; otherwise <see cref="ErrorFrame"/> is all there is.
    public string? ErrorMessage { get; private set; }

    public string? ErrorType { get; private set; }

    public string? ErrorFrame { get; private set; }

    /// How long the provider asked to wait before retrying (<c>retry-after-ms</c> or <c>retry-after</c> of a refusal).
    public TimeSpan? RetryAfter { get; set; }

    public void MarkResponse() => sawResponse = true;

    public void MarkEnd() => sawEndMarker = true;

    public void MarkReasoningName() => sawReasoningName = true;

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
