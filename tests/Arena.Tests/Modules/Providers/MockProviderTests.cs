using Arena.Modules.Providers.Contracts;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Providers;

/// The built-in mock's prompt markers (see MockChatClient).
public sealed class MockProviderTests(ProvidersApp app) : IClassFixture<ProvidersApp>
{
    [Fact]
    public async Task Mock_NoMarker_StreamsChunksThenFinishesWithUsage()
    {
        var updates = await app.StreamAsync("mock-swift", "hello there");

        Assert.Equal(12, updates.OfType<CompletionText>().Count());
        Assert.StartsWith("mock-swift here. You said: \"hello there\".", OpenAIStreamingTests.Text(updates));
        var finished = Assert.IsType<CompletionFinished>(updates[^1]);
        Assert.Equal(FinishReason.Stop, finished.Reason);
        Assert.NotNull(finished.Usage);
    }

    [Theory]
    [InlineData("hello there", false)]
    [InlineData("hello there [mock:identify]", true)]
    public async Task Mock_Anonymous_NamesItselfOnlyWhenTheIdentifyMarkerAsks(string prompt, bool named)
    {
        var updates = new List<CompletionUpdate>();
        await using var scope = app.Services.CreateAsyncScope();
        var request = new StreamCompletion("mock-swift", [new(ChatTurnRole.User, prompt)]) { Anonymous = true };
        await foreach (var update in scope.ServiceProvider.GetRequiredService<IMediator>().CreateStream(request))
        {
            updates.Add(update);
        }

        var text = OpenAIStreamingTests.Text(updates);
        Assert.Equal(named, text.Contains("mock-swift", StringComparison.Ordinal));
        Assert.StartsWith(named ? "mock-swift here. You said: \"hello there" : "You said: \"hello there\".", text);
        Assert.IsType<CompletionFinished>(updates[^1]);
    }

    [Fact]
    public async Task Mock_FailBeforeFirstMarker_FailsWithoutText()
    {
        var updates = await app.StreamAsync("mock-swift", "hello [mock:fail-before-first]");

        Assert.Equal(CompletionErrorCode.Unavailable, Assert.IsType<CompletionFailed>(Assert.Single(updates)).Code);
    }

    [Fact]
    public async Task Mock_FailAfterMarker_FailsAfterThatManyChunks()
    {
        var updates = await app.StreamAsync("mock-sage", "hello [mock:fail-after:3]");

        Assert.Equal(3, updates.OfType<CompletionText>().Count());
        Assert.Equal(4, updates.Count);
        Assert.Equal(CompletionErrorCode.Unavailable, Assert.IsType<CompletionFailed>(updates[^1]).Code);
    }

    [Fact]
    public async Task Mock_StallAfterMarker_EndsWithTimeout()
    {
        var updates = await app.StreamAsync("mock-sage", "hello [mock:stall-after:2]");

        Assert.Equal(2, updates.OfType<CompletionText>().Count());
        Assert.Equal(CompletionErrorCode.Timeout, Assert.IsType<CompletionFailed>(updates[^1]).Code);
    }

    [Fact]
    public async Task Mock_StallMarker_EndsWithFirstChunkTimeout()
    {
        var updates = await app.StreamAsync("mock-echo", "[mock:stall]");

        Assert.Equal(CompletionErrorCode.Timeout, Assert.IsType<CompletionFailed>(Assert.Single(updates)).Code);
    }

    [Fact]
    public async Task Mock_LengthMarker_FinishesWithLength()
    {
        var updates = await app.StreamAsync("mock-echo", "[mock:length] go");

        Assert.Equal(FinishReason.Length, Assert.IsType<CompletionFinished>(updates[^1]).Reason);
    }
}
