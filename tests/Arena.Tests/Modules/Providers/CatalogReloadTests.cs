using System.Text.Json;
using Arena.Modules.Providers.Contracts;
using Arena.Tests.Support.FakeUpstreams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Arena.Tests.Modules.Providers;

public sealed class CatalogReloadTests(ProvidersApp app) : IClassFixture<ProvidersApp>
{
    [Fact]
    public async Task Configuration_Reloaded_CatalogAndClientsFollow()
    {
        app.Upstream.Reset();
        var configuration = (IConfigurationRoot)app.Services.GetRequiredService<IConfiguration>();
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["old"])), FakeResponse.EventStream(OpenAIStream.Completion(["new"])));
        await app.StreamAsync(ProvidersApp.OpenAIModel, "before");

        configuration["Arena:Models:late-mock:Provider"] = "mock";
        configuration["Arena:Providers:fake-openai:ApiKey"] = "sk-rotated-key";
        configuration.Reload();

        using var client = app.As("alice");
        var models = JsonDocument.Parse(await client.GetStringAsync("/api/models")).RootElement.GetProperty("models");
        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("id").GetString() == "late-mock");
        Assert.IsType<CompletionFinished>((await app.StreamAsync("late-mock", "hi"))[^1]);
        await app.StreamAsync(ProvidersApp.OpenAIModel, "after");
        Assert.Equal(["Bearer " + ProvidersApp.OpenAIKey, "Bearer sk-rotated-key"], app.Upstream.Requests.Select(r => r.Headers["Authorization"]));
    }
}
