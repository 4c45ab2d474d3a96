using System.Text.Json;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Streaming;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arena.Tests.Modules.Messaging;

/// The stream request read as a pure function: what a client may send, and the field each refusal names.
public sealed class StreamRequestReaderTests
{
    private const int MaxContent = 100;

    [Theory]
    [InlineData(null, null, "Data", "Data")]
    [InlineData(null, null, "Sse", "Sse")]
    [InlineData("SSE", null, "Data", "Sse")]
    [InlineData(null, "sse", "Data", "Sse")]
    [InlineData("data", "sse", "Sse", "Data")]
    [InlineData("", null, "Sse", "Sse")]
    public void ReadProtocol_QueryWinsOverHeaderAndEachEndpointKeepsItsDefault(string? query, string? header, string fallback, string expected)
    {
        Assert.Equal(Enum.Parse<StreamProtocol>(expected), StreamRequestReader.ReadProtocol(query, header, Enum.Parse<StreamProtocol>(fallback), out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void ReadProtocol_Unknown_NamesTheField()
    {
        Assert.Null(StreamRequestReader.ReadProtocol("websocket", null, StreamProtocol.Data, out var problem));

        Assert.Equal(["protocol"], Fields(problem));
    }

    [Theory]
    [InlineData("[]", "body")]
    [InlineData("{}", "session_id,messages")]
    [InlineData("""{"session_id":"nope","messages":[{"role":"user","content":"hi"}]}""", "session_id")]
    [InlineData("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"assistant","content":"hi"}]}""", "messages")]
    [InlineData("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"  "}]}""", "messages")]
    [InlineData("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"a\u0000b"}]}""", "messages")]
    [InlineData("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"\ud800"}]}""", "messages")]
    [InlineData("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"hi"}],"resumable":"yes"}""", "resumable")]
    public void Read_BadBody_NamesTheField(string json, string fields)
    {
        using var body = JsonDocument.Parse(json);

        Assert.Null(StreamRequestReader.Read(body.RootElement, resumableSupported: true, resumableByDefault: false, MaxContent, out var problem));

        Assert.Equal(fields.Split(',').Order(StringComparer.Ordinal), Fields(problem).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Read_ResumableWherePipelineCannot_NamesTheFieldAndIgnoresTheDefault()
    {
        using var asked = JsonDocument.Parse("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"hi"}],"resumable":true}""");
        using var silent = JsonDocument.Parse("""{"session_id":"0195a0f2-0000-7000-8000-000000000000","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Null(StreamRequestReader.Read(asked.RootElement, resumableSupported: false, resumableByDefault: true, MaxContent, out var problem));
        Assert.Equal(["resumable"], Fields(problem));
        Assert.False(StreamRequestReader.Read(silent.RootElement, resumableSupported: false, resumableByDefault: true, MaxContent, out _)!.Resumable);
        Assert.True(StreamRequestReader.Read(silent.RootElement, resumableSupported: true, resumableByDefault: true, MaxContent, out _)!.Resumable);
    }

    [Fact]
    public void Read_ContentPastTheMaximum_Answers413NamingMessages()
    {
        using var body = JsonDocument.Parse(JsonSerializer.Serialize(new { session_id = Guid.NewGuid(), messages = new[] { new { role = "user", content = new string('x', MaxContent + 1) } } }));

        Assert.Null(StreamRequestReader.Read(body.RootElement, true, false, MaxContent, out var problem));

        var result = Assert.IsType<ProblemHttpResult>(problem);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, result.StatusCode);
        Assert.Equal(["messages"], ((Dictionary<string, string[]>)result.ProblemDetails.Extensions["errors"]!).Keys);
    }

    /// Only the last user message is the new turn, whatever came before it; any text without NUL is taken as sent.
    [Fact]
    public void Read_AnyConversation_TakesTheLastUserMessageAsSent()
    {
        var text = Gen.String[Gen.Char.Where(c => c != '\0' && !char.IsSurrogate(c)), 1, MaxContent].Where(s => !string.IsNullOrWhiteSpace(s));
        var earlier = Gen.Select(Gen.OneOf("user", "assistant", "system"), Gen.String[0, 20], (role, content) => new { role, content }).Array[0, 5];
        var after = Gen.Select(Gen.OneOf("assistant", "system"), Gen.String[0, 20], (role, content) => new { role, content }).Array[0, 3];
        Gen.Select(Gen.Guid, earlier, text, after).Sample((id, before, content, later) =>
        {
            var messages = before.Append(new { role = "user", content }).Concat(later);
            using var body = JsonDocument.Parse(JsonSerializer.Serialize(new { session_id = id, messages }));

            var request = StreamRequestReader.Read(body.RootElement, true, false, MaxContent, out var problem);

            Assert.Null(problem);
            Assert.Equal(new StreamRequest(id, content, false), request);
        });
    }

    private static IEnumerable<string> Fields(IResult? problem) => Assert.IsType<ValidationProblem>(problem).ProblemDetails.Errors.Keys;
}
