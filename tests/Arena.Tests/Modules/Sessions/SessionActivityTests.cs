using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Modules.Sessions;

public sealed class SessionActivityTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    [Fact]
    public async Task StreamTurn_OnAnOlderSession_MovesItsUpdatedAtAndPutsItFirst()
    {
        using var alice = app.As("alice-activity");
        var older = await Create(alice, "older");
        var newer = await Create(alice, "newer");
        Assert.Equal([newer.Id, older.Id], await Ids(alice));

        var stream = await alice.PostAsync("/api/messages/stream/", new StringContent(
            $$"""{"session_id":"{{older.Id}}","messages":[{"role":"user","content":"Still there?"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Contains("ad:", await stream.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal([older.Id, newer.Id], await Ids(alice));
        var touched = await Json(await alice.GetAsync($"/api/sessions/{older.Id}"));
        Assert.True(touched.GetProperty("updated_at").GetDateTimeOffset() > older.UpdatedAt);
        Assert.Equal(older.CreatedAt, touched.GetProperty("created_at").GetDateTimeOffset());
        var untouched = await Json(await alice.GetAsync($"/api/sessions/{newer.Id}"));
        Assert.Equal(newer.UpdatedAt, untouched.GetProperty("updated_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task StreamTurn_OnASessionItStreamedBefore_PutsItFirstForItsOwnerAtOnce()
    {
        using var carol = app.As("carol-activity");
        var older = await Create(carol, "older");
        Assert.Equal(HttpStatusCode.OK, (await Stream(carol, older.Id)).StatusCode);
        var newer = await Create(carol, "newer");
        Assert.Equal([newer.Id, older.Id], await Ids(carol));

        // The second turn answers from the remembered session; its move is queued, and the list writes the owner's queue first.
        Assert.Equal(HttpStatusCode.OK, (await Stream(carol, older.Id)).StatusCode);

        Assert.Equal([older.Id, newer.Id], await Ids(carol));
        var touched = await Json(await carol.GetAsync($"/api/sessions/{older.Id}"));
        Assert.True(touched.GetProperty("updated_at").GetDateTimeOffset() > newer.UpdatedAt);
    }

    [Fact]
    public async Task StreamTurn_AfterItsSessionWasDeleted_AnswersNotFound()
    {
        using var dave = app.As("dave-activity");
        var session = await Create(dave, "soon gone");
        Assert.Equal(HttpStatusCode.OK, (await Stream(dave, session.Id)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await dave.DeleteAsync($"/api/sessions/{session.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await Stream(dave, session.Id)).StatusCode);
    }

    [Fact]
    public async Task StreamTurn_OnARememberedSessionDeletedByAnotherInstance_IsRemovedAndTheNextTurnNotFound()
    {
        using var erin = app.As("erin-activity");
        var session = await Create(erin, "deleted elsewhere");
        Assert.Equal(HttpStatusCode.OK, (await Stream(erin, session.Id)).StatusCode);
        // What another instance's delete leaves for this one: the row gone, nothing told to this process.
        Assert.Equal(1, await Count("WITH gone AS (DELETE FROM sessions.sessions WHERE id = @id RETURNING 1) SELECT count(*) FROM gone", session.Id));

        // Remembered: this turn starts; the next activity write finds the session gone and removes the turns' rows.
        Assert.Equal(HttpStatusCode.OK, (await Stream(erin, session.Id)).StatusCode);

        await Eventually.EqualAsync("0", async () => (await Count("SELECT count(*) FROM messaging.messages WHERE session_id = @id", session.Id)).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.NotFound, (await Stream(erin, session.Id)).StatusCode);
    }

    [Fact]
    public async Task ListSessions_SessionTouchedWhilePaging_NeverReturnsARowTwice()
    {
        using var bob = app.As("bob-activity");
        var first = await Create(bob, "1");
        var second = await Create(bob, "2");
        var third = await Create(bob, "3");

        var page1 = await Json(await bob.GetAsync("/api/sessions?limit=1"));
        Assert.Equal(third.Id, page1.GetProperty("items")[0].GetProperty("id").GetGuid());
        // Activity on the row already seen moves it above the cursor, where the next pages do not look.
        Assert.Equal(HttpStatusCode.OK, (await bob.PatchAsJsonAsync($"/api/sessions/{third.Id}", new { title = "3 again" })).StatusCode);

        var seen = new List<Guid> { third.Id };
        var cursor = page1.GetProperty("next_cursor").GetString();
        while (cursor is not null && seen.Count < 10)
        {
            var page = await Json(await bob.GetAsync($"/api/sessions?limit=1&cursor={cursor}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("next_cursor").GetString();
        }

        Assert.Equal([third.Id, second.Id, first.Id], seen);
    }

    private static async Task<(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)> Create(HttpClient client, string title)
    {
        var session = await Json(await client.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = "mock-swift", title }));
        return (session.GetProperty("id").GetGuid(), session.GetProperty("created_at").GetDateTimeOffset(), session.GetProperty("updated_at").GetDateTimeOffset());
    }

    private static async Task<HttpResponseMessage> Stream(HttpClient client, Guid sessionId)
    {
        var response = await client.PostAsync("/api/messages/stream/", new StringContent(
            $$"""{"session_id":"{{sessionId}}","messages":[{"role":"user","content":"Still there?"}]}""", System.Text.Encoding.UTF8, "application/json"));
        // The whole stream, so that the turn has ended when the test goes on.
        await response.Content.ReadAsStringAsync();
        return response;
    }

    private async Task<long> Count(string sql, Guid id)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new("id", id) } };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<Guid>> Ids(HttpClient client) =>
        [.. (await Json(await client.GetAsync("/api/sessions"))).GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetGuid())];

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
