using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Arena.Tests.Support;

namespace Arena.Tests.Host.Web;

public sealed class DevelopmentTokenTests(DevelopmentApp development, KeylessDevelopmentApp keyless, ProductionApp production)
    : IClassFixture<DevelopmentApp>, IClassFixture<KeylessDevelopmentApp>, IClassFixture<ProductionApp>
{
    [Fact]
    public async Task DevelopmentToken_InDevelopment_ActsForTheTypedName()
    {
        var token = await MintAsync(development, "  dev-ada  ");

        using var ada = WithToken(development, token);
        var created = await ada.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // The subject is the trimmed name, so a token for that name from any other source sees the same sessions.
        using var sameName = development.As("dev-ada");
        Assert.Equal(HttpStatusCode.OK, (await sameName.GetAsync($"/api/sessions/{id}")).StatusCode);
        using var otherName = development.As("dev-bob");
        Assert.Equal(HttpStatusCode.NotFound, (await otherName.GetAsync($"/api/sessions/{id}")).StatusCode);
    }

    [Fact]
    public async Task DevelopmentToken_NoSigningKeyConfigured_IsAcceptedAndOtherKeysAreNot()
    {
        var token = await MintAsync(keyless, "fresh-machine");

        using var client = WithToken(keyless, token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models")).StatusCode);
        // The key the Host made for itself is the only one it trusts: a token signed with any other key is refused.
        using var forged = WithToken(keyless, TestTokens.For("fresh-machine"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/models")).StatusCode);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\": \"   \"}")]
    [InlineData("{\"name\": \"a\\u0007b\"}")]
    [InlineData("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")]
    public async Task DevelopmentToken_BadName_IsProblemNamingTheField(string body)
    {
        using var client = development.Anonymous();

        var response = await client.PostAsync("/dev/token", new StringContent(body, MediaTypeHeaderValue.Parse("application/json")));

        await ProblemAssert.NamesFields(response, "name");
    }

    [Fact]
    public async Task DevelopmentToken_OutsideDevelopment_DoesNotExist()
    {
        using var client = production.Anonymous();

        var response = await client.PostAsJsonAsync("/dev/token", new { name = "mallory" });

        await ProblemAssert.IsProblem(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Page_Root_IsServedWithAContentSecurityPolicy()
    {
        using var client = production.Anonymous();

        var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<main id=\"main\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var policy = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
    }

    internal static async Task<string> MintAsync(ArenaApp app, string name)
    {
        using var client = app.Anonymous();
        var response = await client.PostAsJsonAsync("/dev/token", new { name });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(name.Trim(), body.GetProperty("subject").GetString());
        return body.GetProperty("token").GetString()!;
    }

    internal static HttpClient WithToken(ArenaApp app, string token)
    {
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
