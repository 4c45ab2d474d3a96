using System.Text;
using Arena.Host.Gateway;

namespace Arena.Tests.Host.Gateway;

public sealed class RoutingPolicyTests
{
    [Fact]
    public void PipelineFor_TenThousandSessionsAtQuarterShare_SendsQuarterToStreaming()
    {
        var ids = GatewayClient.SessionIds(seed: 5).Take(10_000).ToList();

        var streaming = ids.Count(id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), 25) == Pipelines.Streaming);

        var percent = streaming * 100.0 / ids.Count;
        Assert.InRange(percent, 23.5, 26.5);
    }

    [Fact]
    public void PipelineFor_ShareRaisedFrom25To50_MovesNoSessionBackToLegacy()
    {
        var ids = GatewayClient.SessionIds(seed: 7).Take(10_000).ToList();

        var before = ids.ToDictionary(id => id, id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), 25));
        var after = ids.ToDictionary(id => id, id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), 50));

        Assert.DoesNotContain(ids, id => before[id] == Pipelines.Streaming && after[id] == Pipelines.Legacy);
        var moved = ids.Count(id => before[id] == Pipelines.Legacy && after[id] == Pipelines.Streaming);
        Assert.InRange(moved * 100.0 / ids.Count, 23.5, 26.5);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(100, 10_000)]
    public void PipelineFor_ShareAtTheEnds_SendsNoneOrAllToStreaming(int share, int expectedStreaming)
    {
        var ids = GatewayClient.SessionIds(seed: 11).Take(10_000);

        Assert.Equal(expectedStreaming, ids.Count(id => RoutingPolicy.PipelineFor(RoutingPolicy.PlaceOf(id), share) == Pipelines.Streaming));
    }

    // Pinned so that a change of algorithm, runtime or machine that would reshuffle live sessions fails here first.
    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", 52)]
    [InlineData("0195a0f2-0000-7000-8000-000000000000", 21)]
    [InlineData("ffffffff-ffff-ffff-ffff-ffffffffffff", 4)]
    [InlineData("3F2504E0-4F89-11D3-9A0C-0305E82C3301", 94)]
    public void PlaceOf_KnownSession_HasPinnedPlace(string sessionId, int place)
    {
        Assert.Equal(place, RoutingPolicy.PlaceOf(Guid.Parse(sessionId)));
    }

    [Fact]
    public void PlaceOf_ManySessions_UsesEveryPlace()
    {
        var places = GatewayClient.SessionIds(seed: 13).Take(10_000).Select(RoutingPolicy.PlaceOf).ToHashSet();

        Assert.Equal(Enumerable.Range(0, 100).ToHashSet(), places);
    }

    [Fact]
    public void StreamBodyScan_SessionIdAfterMessages_IsFound()
    {
        var id = Guid.NewGuid();
        var json = $$"""{"messages":[{"role":"user","content":"hi","session_id":"{{Guid.NewGuid()}}"}],"session_id":"{{id}}"}""";

        Assert.Equal(id, StreamBodyScan.Find(Encoding.UTF8.GetBytes(json), isFinalBlock: true).SessionId);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","session_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}]}""")]
    [InlineData("""{"session_id":"not-a-uuid","messages":[]}""")]
    [InlineData("""{"session_id":42}""")]
    [InlineData("""["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]""")]
    [InlineData("""{not json""")]
    [InlineData("")]
    public void StreamBodyScan_NoReadableTopLevelSessionId_ReturnsNull(string json)
    {
        Assert.Null(StreamBodyScan.Find(Encoding.UTF8.GetBytes(json), isFinalBlock: true).SessionId);
    }

    [Fact]
    public void StreamBodyScan_TruncatedBodyWithSessionIdFirst_IsFound()
    {
        var id = Guid.NewGuid();
        var json = Encoding.UTF8.GetBytes($$"""{"session_id":"{{id}}","messages":[{"role":"user","content":"{{new string('x', 1000)}}"}]}""");

        Assert.Equal(id, StreamBodyScan.Find(json.AsSpan(0, 100), isFinalBlock: false).SessionId);
    }
}
