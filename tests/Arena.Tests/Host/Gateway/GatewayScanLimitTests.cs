using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Arena.Host.Gateway;

namespace Arena.Tests.Host.Gateway;

public sealed class GatewayScanLimitTests(GatewayWithSmallScanLimitApp app) : IClassFixture<GatewayWithSmallScanLimitApp>
{
    [Fact]
    public async Task StreamRequest_SessionIdLastWithinScanLimit_ReachesPredictedDestination()
    {
        using var client = app.As("alice-gateway");
        var id = GatewayClient.SessionIds(seed: 29).First(id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), app.StreamingShare) == Pipelines.Streaming);
        var body = GatewayClient.LongConversationBody(id, decoy: Guid.Empty, turns: 40);
        Assert.InRange(body.Length, 40_000, GatewayWithSmallScanLimitApp.ScanLimit);

        for (var turn = 0; turn < 4; turn++)
        {
            var (_, echo) = await GatewayClient.SendAsync(client, GatewayClient.StreamRequest(body));

            Assert.Equal(Pipelines.Streaming, echo.Destination);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StreamRequest_BodyBeyondScanLimit_IsForwardedWhole(bool declaresLength)
    {
        using var client = app.As("alice-gateway");
        var body = GatewayClient.LongConversationBody(Guid.NewGuid(), decoy: Guid.NewGuid());
        Assert.True(body.Length > 2 * GatewayWithSmallScanLimitApp.ScanLimit, $"The body has only {body.Length} bytes.");
        var request = GatewayClient.StreamRequest(body);
        if (!declaresLength)
        {
            request.Content = new ChunkedContent(Encoding.UTF8.GetBytes(body));
        }

        var (_, echo) = await GatewayClient.SendAsync(client, request);

        Assert.Equal(body, echo.Body);
    }

    /// Sent with Transfer-Encoding: chunked, so the gateway cannot tell the body's length before reading it.
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] bytes;

        public ChunkedContent(byte[] bytes)
        {
            this.bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < bytes.Length; offset += 8192)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(8192, bytes.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
