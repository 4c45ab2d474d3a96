using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arena.Tests.Modules.Votes;

/// The Host where battles draw only <c>battle-one</c> and <c>battle-two</c> (fast mocks whose identity words
/// are bird names the mock only says when the prompt does), votes need no reading time, a judge may cast <see cref="DailyLimit"/> counted votes a day and
/// the leaderboard refreshes every 200 ms.
public class VotesApp : ArenaApp
{
    public const int DailyLimit = 3;

    protected virtual (string Id, string Provider, string Word)[] BattleModels => [("battle-one", "quick", "kestrel"), ("battle-two", "quick", "osprey")];

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Providers:quick:Kind"] = "mock";
        settings["Arena:Providers:quick:Mock:ChunkCount"] = "2";
        settings["Arena:Providers:quick:Mock:ChunkInterval"] = "00:00:00.010";
        settings["Arena:Providers:broken:Kind"] = "mock";
        settings["Arena:Providers:broken:Mock:FailBeforeFirstChunk"] = "true";
        foreach (var shipped in new[] { "mock-swift", "mock-sage", "mock-echo" })
        {
            settings[$"Arena:Models:{shipped}:BattleWeight"] = "0";
        }

        foreach (var (id, provider, word) in BattleModels)
        {
            settings[$"Arena:Models:{id}:Provider"] = provider;
            settings[$"Arena:Models:{id}:IdentityWords:0"] = word;
        }

        settings["Arena:Battles:MinReadingTime"] = "00:00:00";
        settings["Arena:Battles:MaxVotesPerUserPerDay"] = $"{DailyLimit}";
        settings["Arena:Battles:JudgeHashKey"] = "test-judge-key";
        settings["Arena:Leaderboard:RefreshInterval"] = "00:00:00.200";
        settings["Arena:Gateway:StreamingShare"] = "100";
    }

    public HttpClient Admin(string user)
    {
        var client = Anonymous();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = TestTokens.Issuer,
            Audience = TestTokens.Audience,
            Subject = new ClaimsIdentity([new Claim("sub", user), new Claim("role", "arena:admin")]),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(TestTokens.SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new JsonWebTokenHandler().CreateToken(descriptor));
        return client;
    }

    public static async Task<JsonElement> CreateBattleAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/sessions", new { mode = "battle" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await JsonAsync(response);
    }

    /// Streams one prompt and waits until both replies have been stored as ended.
    public static async Task PromptAsync(HttpClient client, Guid session, string prompt)
    {
        var (response, _) = await MessagingApp.StreamAsync(client, session, prompt);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var items = (await JsonAsync(await client.GetAsync($"/api/sessions/{session}/messages"))).GetProperty("items").EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() == "assistant").ToList();
            if (items.Count(m => m.GetProperty("status").GetString() != "streaming") >= 2 || DateTime.UtcNow > deadline)
            {
                return;
            }

            await Task.Delay(50);
        }
    }

    public static Task<HttpResponseMessage> VoteAsync(HttpClient client, Guid session, string winner) =>
        client.PostAsJsonAsync($"/api/sessions/{session}/vote", new { winner });

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}

/// Battles between a working mock and one that fails before its first chunk.
public sealed class FailingBattleApp : VotesApp
{
    protected override (string Id, string Provider, string Word)[] BattleModels => [("battle-one", "quick", "kestrel"), ("battle-broken", "broken", "broken")];
}
