using System.Text;
using Arena.Host.Gateway;

namespace Arena.Tests.Host.Gateway;

public sealed class StreamBodyScanTests
{
    private static readonly Guid Id = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    private static readonly Guid Decoy = Guid.Parse("9b2d6a41-0c7e-4f5a-8e1b-2c4d6f8a0b1c");

    /// Delivery in pieces as small as one byte and a window smaller than most tokens: every token straddles a read somewhere.
    public static TheoryData<int> PieceSizes => [1, 3, 7, 64, 1000, 1 << 20];

    [Theory]
    [MemberData(nameof(PieceSizes))]
    public async Task ScanAsync_SessionIdAfterNestedDecoys_FindsOnlyTopLevelOne(int pieceSize)
    {
        var json = $$$"""
            {"messages":[
              {"role":"user","content":"session_id","session_id":"{{{Decoy}}}"},
              {"role":"assistant","content":"{\"session_id\":\"{{{Decoy}}}\"}","metadata":{"session_id":"{{{Decoy}}}","tags":["session_id",{"session_id":"{{{Decoy}}}"}],"n":[1,2.5e3,true,null]}}
            ],
            "options":{"session_id":"{{{Decoy}}}","nested":[[["session_id"]]]},
            "session_id":"{{{Id}}}",
            "tail":[{"session_id":"{{{Decoy}}}"}]}
            """;

        Assert.Equal(Id, await ScanAsync(json, pieceSize));
    }

    [Theory]
    [MemberData(nameof(PieceSizes))]
    public async Task ScanAsync_EscapedNameAndValue_AreUnescapedBeforeMatching(int pieceSize)
    {
        var escapedId = string.Concat(Id.ToString().Select(c => $"\\u{(int)c:x4}"));
        var json = $$"""{"messages":[{"role":"user","content":"quote \" backslash \\ \"session_id\":\"{{Decoy}}\" \u0022session_id\u0022"}],"session\u005fid":"{{escapedId}}"}""";

        Assert.Equal(Id, await ScanAsync(json, pieceSize));
    }

    [Theory]
    [MemberData(nameof(PieceSizes))]
    public async Task ScanAsync_LongTokenBeforeSessionId_GrowsWindowAndFindsIt(int pieceSize)
    {
        var json = $$"""{"messages":[{"role":"user","content":"{{new string('я', 100_000)}}"}],"session_id":"{{Id}}"}""";

        Assert.Equal(Id, await ScanAsync(json, pieceSize));
    }

    [Fact]
    public async Task ScanAsync_TokenLongerThanTheWindowCap_StopsWithoutAnId()
    {
        // 600,000 two-byte characters: a single string of 1.2 MB, past the 1 MiB window cap.
        var json = $$"""{"messages":[{"role":"user","content":"{{new string('я', 600_000)}}"}],"session_id":"{{Id}}"}""";

        Assert.Null(await ScanAsync(json, 64 * 1024));
    }

    [Fact]
    public async Task ScanAsync_DuplicateTopLevelSessionId_LastOneWinsLikeThePipelines()
    {
        Assert.Equal(Id, await ScanAsync($$"""{"session_id":"{{Decoy}}","messages":[],"session_id":"{{Id}}"}""", 5));
        Assert.Null(await ScanAsync($$"""{"session_id":"{{Id}}","messages":[],"session_id":"not-a-uuid"}""", 5));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","session_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}]}""")]
    [InlineData("""{"session_id":{"id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}}""")]
    [InlineData("""{"session_id":null}""")]
    [InlineData("""["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]""")]
    [InlineData("""{not json,"session_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}""")]
    [InlineData("")]
    public async Task ScanAsync_NoReadableTopLevelSessionId_ReturnsNull(string json)
    {
        Assert.Null(await ScanAsync(json, 3));
    }

    [Theory]
    [MemberData(nameof(PieceSizes))]
    public async Task ScanAsync_BodyCutAfterSessionId_StillFindsIt(int pieceSize)
    {
        var json = $$"""{"session_id":"{{Id}}","messages":[{"role":"user","content":"{{new string('x', 5000)}}"}]}""";

        Assert.Equal(Id, await ScanAsync(json[..2500], pieceSize));
    }

    [Theory]
    [MemberData(nameof(PieceSizes))]
    public async Task ScanAsync_BodyCutBeforeSessionIdEnds_ReturnsNull(int pieceSize)
    {
        var json = $$"""{"messages":[{"role":"user","content":"{{new string('x', 5000)}}"}],"session_id":"{{Id}}"}""";

        Assert.Null(await ScanAsync(json[..2500], pieceSize));
        Assert.Null(await ScanAsync(json[..^3], pieceSize));
    }

    [Fact]
    public async Task ScanAsync_SessionIdBeyondLimit_IsNotReadAndNothingPastTheLimitIs()
    {
        var json = $$"""{"messages":[{"role":"user","content":"{{new string('x', 5000)}}"}],"session_id":"{{Id}}"}""";
        var limit = json.Length - 10;
        using var body = new PieceStream(Encoding.UTF8.GetBytes(json), pieceSize: 1000);

        Assert.Equal(StreamBodyFacts.None, await StreamBodyScan.ScanAsync(body, limit, initialWindow: 16, CancellationToken.None));
        Assert.Equal(limit, body.Position);
        Assert.Equal(Id, await ScanAsync(json, 1000, limit: json.Length));
    }

    [Theory]
    [InlineData("""{"resumable":true,"messages":[]}""", true)]
    [InlineData("""{"messages":[{"role":"user","content":"x","resumable":true}],"options":{"resumable":true}}""", false)]
    [InlineData("""{"resumable":"true"}""", false)]
    [InlineData("""{"resumable":true,"messages":[],"resumable":false}""", false)]
    [InlineData("""{"resumable":false,"messages":[],"resumable":true}""", true)]
    public async Task ScanAsync_Resumable_OnlyTopLevelTrueAndTheLastOneCounts(string json, bool resumable)
    {
        using var body = new PieceStream(Encoding.UTF8.GetBytes(json), pieceSize: 3);

        var facts = await StreamBodyScan.ScanAsync(body, 30_000_000, initialWindow: 16, CancellationToken.None);

        Assert.Equal(resumable, facts.Resumable);
    }

    private static async Task<Guid?> ScanAsync(string json, int pieceSize, long limit = 30_000_000)
    {
        using var body = new PieceStream(Encoding.UTF8.GetBytes(json), pieceSize);
        return (await StreamBodyScan.ScanAsync(body, limit, initialWindow: 16, CancellationToken.None)).SessionId;
    }

    /// Hands out at most pieceSize bytes per read, like a body arriving in small network packets.
    private sealed class PieceStream(byte[] bytes, int pieceSize) : MemoryStream(bytes, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, pieceSize)], cancellationToken);
    }
}
