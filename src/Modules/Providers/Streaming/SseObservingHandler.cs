namespace Arena.Modules.Providers.Streaming;

/// Sits under the SDK's HttpClient and wraps event-stream bodies so that <see cref="StreamObservation"/> learns
/// whether the end marker arrived. It does not parse content: the SDK still does that.
internal sealed class SseObservingHandler(SseEndMarker marker) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var observation = StreamObservation.Current;
        if (observation is not null && response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            observation.MarkResponse();
            response.Content = new ObservedContent(response.Content, observation, marker);
        }

        return response;
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
            new SseObservingStream(inner.ReadAsStream(cancellationToken), observation, marker);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new SseObservingStream(await inner.ReadAsStreamAsync(cancellationToken), observation, marker);

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
