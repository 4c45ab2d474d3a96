using System.Net;
using System.Text.Json;
using Arena.Modules.Providers.Contracts;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Providers;

public sealed class ListModelsWithoutKeysTests(NoKeysApp app) : IClassFixture<NoKeysApp>
{
    [Fact]
    public async Task ListModels_NoProviderKeys_ListsOnlyTheMockModels()
    {
        using var client = app.As("alice");

        var response = await client.GetAsync("/api/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var models = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("models");
        Assert.Equal(["mock-echo", "mock-sage", "mock-swift"], models.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.All(models.EnumerateArray(), m => Assert.Equal("mock", m.GetProperty("provider_kind").GetString()));
        Assert.Equal("Mock Swift", models[2].GetProperty("display_name").GetString());
        Assert.Equal(1024, models[2].GetProperty("max_output_tokens").GetInt32());
    }

    [Fact]
    public async Task ListModels_Anonymous_Unauthorized()
    {
        using var client = app.Anonymous();

        var response = await client.GetAsync("/api/models");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task StreamCompletion_DefaultMockModels_StreamTwoDifferentRepliesOffline()
    {
        var swift = await StreamAsync("mock-swift", "Compare these two");
        var sage = await StreamAsync("mock-sage", "Compare these two");

        Assert.True(swift.OfType<CompletionText>().Count() > 1, "the mock streams in several chunks");
        Assert.IsType<CompletionFinished>(swift[^1]);
        Assert.IsType<CompletionFinished>(sage[^1]);
        Assert.NotEqual(OpenAIStreamingTests.Text(swift), OpenAIStreamingTests.Text(sage));
        Assert.Equal(OpenAIStreamingTests.Text(swift), OpenAIStreamingTests.Text(await StreamAsync("mock-swift", "Compare these two")));
    }

    [Fact]
    public async Task StreamCompletion_UnknownModel_FailsBadRequest()
    {
        var updates = await StreamAsync("gpt-4o-mini", "hello");

        Assert.Equal(CompletionErrorCode.BadRequest, Assert.IsType<CompletionFailed>(Assert.Single(updates)).Code);
    }

    private async Task<List<CompletionUpdate>> StreamAsync(string modelId, string prompt)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var updates = new List<CompletionUpdate>();
        await foreach (var update in mediator.CreateStream(new StreamCompletion(modelId, [new ChatTurn(ChatTurnRole.User, prompt)])))
        {
            updates.Add(update);
        }

        return updates;
    }
}

public sealed class ListModelsWithKeysTests(ProvidersApp app) : IClassFixture<ProvidersApp>
{
    [Fact]
    public async Task ListModels_KeyedProviders_ListsTheirModelsWithoutSecrets()
    {
        using var client = app.As("alice");

        var body = await client.GetStringAsync("/api/models");

        var models = JsonDocument.Parse(body).RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["fake-claude", "fake-gpt", "fake-gpt-impatient", "fake-gpt-unreachable", "fake-local-llm", "mock-echo", "mock-sage", "mock-swift"], models.Select(m => m.GetProperty("id").GetString()));
        var gpt = models[1];
        Assert.Equal("Fake GPT", gpt.GetProperty("display_name").GetString());
        Assert.Equal("fake-openai", gpt.GetProperty("provider").GetString());
        Assert.Equal("openai", gpt.GetProperty("provider_kind").GetString());
        Assert.Equal("anthropic", models[0].GetProperty("provider_kind").GetString());
        Assert.DoesNotContain(ProvidersApp.OpenAIKey, body);
        Assert.DoesNotContain(ProvidersApp.AnthropicKey, body);
        Assert.DoesNotContain("SECRET", body);
        Assert.DoesNotContain("127.0.0.1", body);
    }

    [Fact]
    public async Task ListModels_KeylessCompatibleServer_ListedWhileKeyedKindsWithoutKeyStayHidden()
    {
        using var client = app.As("alice");

        var models = JsonDocument.Parse(await client.GetStringAsync("/api/models")).RootElement.GetProperty("models").EnumerateArray().ToList();

        var local = Assert.Single(models, m => m.GetProperty("id").GetString() == ProvidersApp.KeylessModel);
        Assert.Equal("fake-local", local.GetProperty("provider").GetString());
        Assert.Equal("openai", local.GetProperty("provider_kind").GetString());
        Assert.DoesNotContain(models, m => m.GetProperty("id").GetString() == ProvidersApp.MissingKeyModel);
        Assert.DoesNotContain(models, m => m.GetProperty("id").GetString() == ProvidersApp.MissingKeyAnthropicModel);
    }
}
