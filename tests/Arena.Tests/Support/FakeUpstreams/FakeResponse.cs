namespace Arena.Tests.Support.FakeUpstreams;

/// What the fake upstream answers to one request: a status code, headers, then the body frames in order.
/// When the frames run out the response ends normally, so leaving out the end marker scripts a truncated stream.
public sealed record FakeResponse(int StatusCode, string ContentType, IReadOnlyList<FakeFrame> Frames)
{
    public static FakeResponse EventStream(IEnumerable<FakeFrame> frames) => new(200, "text/event-stream", frames.ToList());

    public static FakeResponse EventStream(params FakeFrame[] frames) => new(200, "text/event-stream", frames);

    public static FakeResponse Json(int statusCode, string json) => new(statusCode, "application/json", [FakeFrame.Text(json)]);

    /// Extra response headers, e.g. <c>retry-after</c>.
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}
