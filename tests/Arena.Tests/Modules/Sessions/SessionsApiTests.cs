using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Arena.Tests.Support;

namespace Arena.Tests.Modules.Sessions;

public sealed class SessionsApiTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    private static readonly string[] SessionFields = ["id", "mode", "model_a", "title", "created_at", "updated_at"];

    [Fact]
    public async Task Sessions_CrudRoundTrip_ReturnsWhatWasStored()
    {
        using var alice = app.As("alice-crud");

        var created = await alice.PostAsJsonAsync("/api/sessions", new { mode = "compare", model_a = "mock-swift", model_b = "mock-sage", title = "Swift vs Sage" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = await Json(created);
        var id = session.GetProperty("id").GetGuid();
        Assert.Equal($"/api/sessions/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("compare", session.GetProperty("mode").GetString());
        Assert.Equal("mock-swift", session.GetProperty("model_a").GetString());
        Assert.Equal("mock-sage", session.GetProperty("model_b").GetString());
        Assert.Equal("Swift vs Sage", session.GetProperty("title").GetString());

        var fetched = await Json(await alice.GetAsync($"/api/sessions/{id}"));
        Assert.Equal(session.GetRawText(), fetched.GetRawText());

        var renamed = await alice.PatchAsJsonAsync($"/api/sessions/{id}", new { title = "Renamed" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var renamedBody = await Json(renamed);
        Assert.Equal("Renamed", renamedBody.GetProperty("title").GetString());
        Assert.True(renamedBody.GetProperty("updated_at").GetDateTimeOffset() >= session.GetProperty("updated_at").GetDateTimeOffset());
        Assert.Equal("Renamed", (await Json(await alice.GetAsync($"/api/sessions/{id}"))).GetProperty("title").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/sessions/{id}")).StatusCode);
        await ProblemAssert.IsProblem(await alice.GetAsync($"/api/sessions/{id}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblem(await alice.DeleteAsync($"/api/sessions/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task CreateSession_DirectMode_OmitsModelBAndDefaultsTitle()
    {
        using var alice = app.As("alice-direct");

        var created = await alice.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-echo" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = await Json(created);
        Assert.Equal(SessionFields.Order(), session.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("direct", session.GetProperty("mode").GetString());
        Assert.Equal("New chat", session.GetProperty("title").GetString());
    }

    [Fact]
    public async Task ListSessions_SeveralPages_NewestFirstOwnOnlyAndComplete()
    {
        using var bob = app.As("bob-list");
        using var carol = app.As("carol-list");
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await Json(await bob.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift", title = $"bob {i}" }))).GetProperty("id").GetGuid());
        }

        await carol.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift", title = "carol's" });

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Json(await bob.GetAsync("/api/sessions?limit=2" + (cursor is null ? "" : $"&cursor={cursor}")));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(created), seen);
    }

    [Fact]
    public async Task Sessions_OtherUsersSession_AnswersExactlyLikeMissing()
    {
        using var owner = app.As("dave-owner");
        using var intruder = app.As("erin-intruder");
        var id = (await Json(await owner.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift", title = "private" }))).GetProperty("id").GetGuid();
        var missing = Guid.CreateVersion7();

        foreach (var target in new[] { id, missing })
        {
            await ProblemAssert.IsProblem(await intruder.GetAsync($"/api/sessions/{target}"), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblem(await intruder.PatchAsJsonAsync($"/api/sessions/{target}", new { title = "mine now" }), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblem(await intruder.DeleteAsync($"/api/sessions/{target}"), HttpStatusCode.NotFound);
        }

        var list = await Json(await intruder.GetAsync("/api/sessions"));
        Assert.Empty(list.GetProperty("items").EnumerateArray());
        var stillThere = await Json(await owner.GetAsync($"/api/sessions/{id}"));
        Assert.Equal("private", stillThere.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("""{"mode":"direct","model_a":"no-such-model"}""", "model_a")]
    [InlineData("""{"mode":"compare","model_a":"mock-swift"}""", "model_b")]
    [InlineData("""{"mode":"compare","model_a":"mock-swift","model_b":"no-such-model"}""", "model_b")]
    [InlineData("""{"mode":"direct","model_a":"mock-swift","model_b":"mock-sage"}""", "model_b")]
    [InlineData("""{"mode":"direct","model_a":"mock-swift","title":""}""", "title")]
    [InlineData("""{"model_a":"mock-swift"}""", "mode")]
    [InlineData("""{"mode":"sideways","model_a":"mock-swift"}""", "mode")]
    [InlineData("""{"mode":" battle"}""", "mode")]
    [InlineData("""{"mode":"Battle"}""", "mode")]
    [InlineData("""{"mode":"DIRECT","model_a":"mock-swift"}""", "mode")]
    [InlineData("""{"mode":0,"model_a":"mock-swift"}""", "mode")]
    [InlineData("""{"mode":"direct"}""", "model_a")]
    [InlineData("""{"mode":"compare","models":["mock-swift"]}""", "models")]
    [InlineData("""{"mode":"compare","models":["mock-swift","mock-sage","mock-echo","mock-swift","mock-sage"]}""", "models")]
    [InlineData("""{"mode":"compare","models":["mock-swift","no-such-model","mock-echo"]}""", "models[1]")]
    [InlineData("""{"mode":"compare","models":["mock-swift","","mock-echo"]}""", "models[1]")]
    [InlineData("""{"mode":"compare","model_a":"mock-swift","models":["mock-swift","mock-sage","mock-echo"]}""", "models")]
    [InlineData("""{"mode":"direct","models":["mock-swift","mock-sage"]}""", "models")]
    [InlineData("""{"mode":"battle","models":["mock-swift","mock-sage"]}""", "models")]
    public async Task CreateSession_InvalidBody_ProblemNamesTheField(string body, string field)
    {
        using var alice = app.As("alice-invalid");

        var response = await alice.PostAsync("/api/sessions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.NamesFields(response, field);
        Assert.Empty((await Json(await alice.GetAsync("/api/sessions"))).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task CreateSession_FourModels_ParticipantsAToDInOrderAndTwoOfOneModel()
    {
        using var alice = app.As("alice-four");

        var created = await alice.PostAsJsonAsync("/api/sessions", new { mode = "compare", models = new[] { "mock-swift", "mock-sage", "mock-echo", "mock-swift" } });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var session = await Json(created);
        Assert.Equal(
            ["id", "mode", "model_a", "model_b", "model_c", "model_d", "title", "created_at", "updated_at"],
            session.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["mock-swift", "mock-sage", "mock-echo", "mock-swift"], new[] { "model_a", "model_b", "model_c", "model_d" }.Select(f => session.GetProperty(f).GetString()));
        var fetched = await Json(await alice.GetAsync($"/api/sessions/{session.GetProperty("id").GetGuid()}"));
        Assert.Equal(session.GetRawText(), fetched.GetRawText());
    }

    [Fact]
    public async Task CreateSession_TwoModelsAsList_SameResourceAsModelAAndModelB()
    {
        using var alice = app.As("alice-two-ways");

        var byList = await Json(await alice.PostAsJsonAsync("/api/sessions", new { mode = "compare", models = new[] { "mock-swift", "mock-sage" }, title = "t" }));
        var byFields = await Json(await alice.PostAsJsonAsync("/api/sessions", new { mode = "compare", model_a = "mock-swift", model_b = "mock-sage", title = "t" }));

        string Shape(JsonElement s) => string.Join(",", s.EnumerateObject().Where(p => p.Name is not ("id" or "created_at" or "updated_at")).Select(p => $"{p.Name}={p.Value}"));
        Assert.Equal(Shape(byFields), Shape(byList));
        Assert.Equal("mode=compare,model_a=mock-swift,model_b=mock-sage,title=t", Shape(byList));
    }

    [Fact]
    public async Task CreateSession_OverLongTitle_ProblemNamesTitle()
    {
        using var alice = app.As("alice-long");

        var response = await alice.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift", title = new string('x', 201) });

        var problem = await ProblemAssert.NamesFields(response, "title");
        Assert.Contains("200", problem.GetProperty("errors").GetProperty("title")[0].GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task RenameSession_BlankTitle_ProblemNamesTitleAndKeepsOldTitle(string title)
    {
        using var alice = app.As("alice-rename");
        var id = (await Json(await alice.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift", title = "kept" }))).GetProperty("id").GetGuid();

        await ProblemAssert.NamesFields(await alice.PatchAsJsonAsync($"/api/sessions/{id}", new { title }), "title");

        Assert.Equal("kept", (await Json(await alice.GetAsync($"/api/sessions/{id}"))).GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task ListSessions_BadPaging_ProblemNamesTheField(string query, string field)
    {
        using var alice = app.As("alice-paging");

        await ProblemAssert.NamesFields(await alice.GetAsync($"/api/sessions?{query}"), field);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
