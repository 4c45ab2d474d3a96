using Arena.Modules.Votes.Domain;

namespace Arena.Tests.Modules.Votes;

public sealed class IdentityLeakTests
{
    [Theory]
    [InlineData("As CLAUDE, I think so.", true)]
    [InlineData("I was made by anthropic.", true)]
    [InlineData("Claudette is a name.", false)]
    [InlineData("I am a helpful assistant.", false)]
    [InlineData("(claude-haiku-4-5) here", true)]
    public void Contains_AnthropicModel_MatchesWholeWordsIgnoringCase(string reply, bool leaks)
    {
        var words = IdentityLeak.WordsFor("claude-haiku-4-5", "Claude Haiku 4.5", "anthropic", null);

        Assert.Equal(leaks, IdentityLeak.Contains(reply, words));
    }

    [Theory]
    [InlineData("I'm ChatGPT.", true)]
    [InlineData("Built on GPT-4o by OpenAI", true)]
    [InlineData("The gptx tool", false)]
    public void Contains_OpenAIModel_UsesVendorDefaults(string reply, bool leaks)
    {
        Assert.Equal(leaks, IdentityLeak.Contains(reply, IdentityLeak.WordsFor("gpt-4o-mini", "GPT-4o mini", "openai", null)));
    }

    [Fact]
    public void WordsFor_ConfiguredWords_ReplaceTheModelNames()
    {
        var words = IdentityLeak.WordsFor("mock-swift", "Mock Swift", "mock", ["kestrel"]);

        Assert.Equal(["kestrel"], words);
        Assert.False(IdentityLeak.Contains("mock-swift here.", words));
        Assert.True(IdentityLeak.Contains("Kestrel here.", words));
    }

    [Fact]
    public void Contains_RegexCharactersInAWord_AreLiteral()
    {
        Assert.True(IdentityLeak.Contains("Try model (v1.5) now", ["(v1.5)"]));
        Assert.False(IdentityLeak.Contains("Try model v105 now", ["v1.5"]));
    }
}
