using System.Text;
using Arena.Modules.Providers.Streaming;

namespace Arena.Tests.Modules.Providers;

/// The observer's mark that lets a chunk's unmodelled <c>delta.reasoning</c> be looked up. The Ollama fidelity test covers
/// it end to end, but without the mark it still passed in some runs; this one does not depend on timing.
public sealed class SseObservingStreamTests
{
    [Theory]
    [InlineData("data: {\"choices\":[{\"delta\":{\"content\":\"\",\"reasoning\":\"Tom \\u0026 Jerry\"}}]}\n\n", true)]
    [InlineData("data:{\"choices\":[{\"delta\":{\"reasoning\":\"x\"}}]}\r\n\r\n", true)]
    [InlineData("data: {\"choices\":[{\"delta\":{\"content\":\"the word reasoning in text\"}}]}\n\n", false)]
    [InlineData("data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"modelled by the adapter\"}}]}\n\n", false)]
    [InlineData("event: reasoning\ndata: [DONE]\n\n", false)]
    public async Task Read_DataLineNamingReasoning_MarksTheStream(string wire, bool marked)
    {
        var observation = ReadThrough(wire, out var stream);
        await using (stream)
        {
            Assert.False(observation.MayCarryUnmodelledReasoning);
            await stream.CopyToAsync(Stream.Null);
        }

        Assert.Equal(marked, observation.MayCarryUnmodelledReasoning);
    }

    [Fact]
    public async Task Read_DataLineLongerThanTheKeptPrefix_MarksTheStream()
    {
        // The name may sit past the part of the line the observer keeps, so a cut data line counts as naming it.
        var observation = ReadThrough($"data: {{\"choices\":[{{\"delta\":{{\"content\":\"{new string('x', 10_000)}\"}}}}]}}\n\n", out var stream);
        await using (stream)
        {
            await stream.CopyToAsync(Stream.Null, bufferSize: 100);
        }

        Assert.True(observation.MayCarryUnmodelledReasoning);
    }

    private static StreamObservation ReadThrough(string wire, out Stream stream)
    {
        var observation = new StreamObservation();
        observation.MarkResponse();
        stream = new SseObservingStream(new MemoryStream(Encoding.UTF8.GetBytes(wire)), observation, SseEndMarker.Done);
        return observation;
    }
}
