namespace Arena.Modules.Providers.Streaming;

/// Sits under the SDK's HttpClient and wraps event-stream bodies so that <see cref="StreamObservation"/> learns
/// whether the end marker arrived. It does not parse content: the SDK still does that.
internal sealed class SseObservingHandler(SseEndMarker marker) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var observation = StreamObservation.Current;
        if (observation is not null && !response.IsSuccessStatusCode)
        {
            observation.RetryAfter = RetryAfterOf(response);
        }

        if (observation is not null && response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            observation.MarkResponse();
            response.Content = new ObservedContent(response.Content, observation, marker);
        }

        return response;
    }

    // OpenAI sends retry-after-ms next to retry-after; the finer one wins. retry-after may also be an HTTP date.
    private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }

    private sealed class ObservedContent : HttpContent
    {
        private readonly HttpContent inner;
        private readonly StreamObservation observation;
        private readonly SseEndMarker marker;

        public ObservedContent(HttpContent inner, StreamObservation observation, SseEndMarker marker)
        {
            this.inner = inner;
            this.observation = observation;
            this.marker = marker;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
            new SseObservingStream(Normalised(inner.ReadAsStream(cancellationToken)), observation, marker);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new SseObservingStream(Normalised(await inner.ReadAsStreamAsync(cancellationToken)), observation, marker);

        private Stream Normalised(Stream body) => marker == SseEndMarker.MessageStop ? new AnthropicUsageFiller(body) : body;

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = await CreateContentReadStreamAsync(cancellationToken);
            await source.CopyToAsync(stream, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
