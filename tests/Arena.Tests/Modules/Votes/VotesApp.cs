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

/// The Host where battles draw only <c>battle-one</c> and <c>battle-two</c> (fast mocks on provider <c>aviary</c>, with
/// the default identity words: their own ids), votes need no reading time, a judge may cast <see cref="DailyLimit"/>
/// counted votes a day, the leaderboard refreshes every 200 ms, and a request may pick its pipeline by header.
public class VotesApp : ArenaApp
{
    public const int DailyLimit = 3;

    /// The models and providers of the battles, and the kind of provider they run on: none of it may reach a client
    /// before the vote.
    public virtual string[] Names => ["battle-one", "battle-two", "aviary", "mock"];

    protected virtual (string Id, string Provider)[] BattleModels => [("battle-one", "aviary"), ("battle-two", "aviary")];

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Arena:Providers:aviary:Kind"] = "mock";
        settings["Arena:Providers:aviary:Mock:ChunkCount"] = "2";
        settings["Arena:Providers:aviary:Mock:ChunkInterval"] = "00:00:00.010";
        settings["Arena:Providers:faulty:Kind"] = "mock";
        settings["Arena:Providers:faulty:Mock:FailBeforeFirstChunk"] = "true";
        foreach (var shipped in new[] { "mock-swift", "mock-sage", "mock-echo" })
        {
            settings[$"Arena:Models:{shipped}:BattleWeight"] = "0";
        }

        foreach (var (id, provider) in BattleModels)
        {
            settings[$"Arena:Models:{id}:Provider"] = provider;
        }

        settings["Arena:Battles:MinReadingTime"] = "00:00:00";
        settings["Arena:Battles:MaxVotesPerUserPerDay"] = $"{DailyLimit}";
        settings["Arena:Battles:JudgeHashKey"] = "test-judge-key";
        settings["Arena:Leaderboard:RefreshInterval"] = "00:00:00.200";
        settings["Arena:Gateway:StreamingShare"] = "100";
        settings["Arena:Gateway:AllowOverrideHeader"] = "true";
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
    public static async Task PromptAsync(HttpClient client, Guid session, string prompt, int participants = 2)
    {
        var (response, _) = await MessagingApp.StreamAsync(client, session, prompt);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.SettleAsync(
            async () => (await JsonAsync(await client.GetAsync($"/api/sessions/{session}/messages"))).GetProperty("items").EnumerateArray()
                .Where(m => m.GetProperty("role").GetString() == "assistant").ToList(),
            replies => replies.Count(m => m.GetProperty("status").GetString() != "streaming") >= participants);
    }

    public static Task<HttpResponseMessage> VoteAsync(HttpClient client, Guid session, string winner) =>
        client.PostAsJsonAsync($"/api/sessions/{session}/vote", new { winner });

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// Fails when the text contains any of <see cref="Names"/>, in any case.
    public void AssertNamesNone(string text, string where)
    {
        foreach (var name in Names)
        {
            Assert.False(text.Contains(name, StringComparison.OrdinalIgnoreCase), $"{where} names '{name}': {text}");
        }
    }
}

/// Battles between a working mock and one that fails before its first chunk.
public sealed class FailingBattleApp : VotesApp
{
    public override string[] Names => ["battle-one", "battle-broken", "aviary", "faulty", "mock"];

    protected override (string Id, string Provider)[] BattleModels => [("battle-one", "aviary"), ("battle-broken", "faulty")];
}
