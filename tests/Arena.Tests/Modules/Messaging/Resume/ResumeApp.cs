using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Arena.Modules.Messaging.Streaming;
using Arena.Tests.Support;
using Arena.Tests.Support.FakeUpstreams;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Arena.Tests.Modules.Messaging.Resume;

/// Two Hosts on one database, with the same settings and services, and two models (<c>paced-a</c>, <c>paced-b</c>) served
/// by the real OpenAI client from one fake upstream whose scripts the tests pace. The heartbeat is short, so that each Host
/// records its address quickly.
public class ResumeApp : MessagingApp, IAsyncLifetime
{
    public const string PacedA = "paced-a";
    public const string PacedB = "paced-b";

    private IDictionary<string, string?> settings = new Dictionary<string, string?>();
    private WebApplicationFactory<Program>? second;

    public ResumeApp()
    {
    }

    /// Two Hosts as above, both composed of <paramref name="parts"/> as well.
    protected ResumeApp(params ArenaAppPart[] parts)
        : base(parts)
    {
    }

    public FakeUpstream Server { get; } = FakeUpstream.Start();

    /// The second Host, on the same database.
    public Uri SecondAddress { get; private set; } = null!;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Providers:paced:Kind"] = "openai";
        settings["Arena:Providers:paced:BaseUrl"] = Server.OpenAIBaseUrl.ToString();
        settings["Arena:Providers:paced:ApiKey"] = "sk-fake-key";
        settings["Arena:Models:paced-a:Provider"] = "paced";
        settings["Arena:Models:paced-a:ProviderModel"] = "gpt-test";
        settings["Arena:Models:paced-b:Provider"] = "paced";
        settings["Arena:Models:paced-b:ProviderModel"] = "gpt-test";
        // Battles draw the two fast mocks only: they answer on their own and at once.
        foreach (var model in new[] { PacedA, PacedB, Slow, Down, "mock-swift", "mock-sage", "mock-echo" })
        {
            settings[$"Arena:Models:{model}:BattleWeight"] = "0";
        }

        settings["Arena:Messaging:StreamHostHeartbeat"] = "00:00:00.200";
        settings["Arena:Messaging:StreamHostLease"] = "00:00:15";
        this.settings = settings;
    }

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var copy = new Dictionary<string, string?>(settings) { ["Arena:Database:MigrateOnStartup"] = "false" };
        second = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Testing");
            host.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(copy));
            host.ConfigureServices(AddServices);
        });
        second.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        second.StartServer();
        SecondAddress = new Uri(second.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        // A Host records its address with the first heartbeat after it started listening: until both did, a resume
        // reaching the other one could not be forwarded.
        await Eventually.EqualAsync("2", async () =>
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM messaging.stream_hosts WHERE address IS NOT NULL", connection);
            return $"{await command.ExecuteScalarAsync()}";
        });
    }

    public HttpClient AtSecond(string user)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = SecondAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        return client;
    }

    public new async Task DisposeAsync()
    {
        if (second is not null)
        {
            await second.DisposeAsync();
        }

        await base.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// Starts a resumable direct turn whose upstream stalls after its first delta, and reads the stream up to that delta.
    /// The response stays open, so its client stays attached to the turn until it is disposed.
    public async Task<HttpResponseMessage> StartStalledTurnAsync(HttpClient client, Guid session)
    {
        Server.Enqueue(FakeResponse.EventStream(OpenAIStream.Role(), OpenAIStream.Content("Once upon "), FakeFrame.Stall));
        var response = await client.SendAsync(ResumableRequest(session, "Tell me a long story"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await SseEvent.ReadAsync(reader) is { Event: not "delta" })
        {
        }

        return response;
    }

    /// A reply in four chunks with a pause after each, so that a test can read part of it and drop the connection.
    public static FakeResponse Paced(string word, TimeSpan pause, FakeFrame? usage = null) => FakeResponse.EventStream(
        OpenAIStream.Role(),
        OpenAIStream.Content($"{word} one, "),
        FakeFrame.Delay(pause),
        OpenAIStream.Content($"{word} two, "),
        FakeFrame.Delay(pause),
        OpenAIStream.Content($"{word} \"three\" é, "),
        FakeFrame.Delay(pause),
        OpenAIStream.Content($"{word} four."),
        OpenAIStream.Finish(),
        usage ?? OpenAIStream.Usage(5, 4),
        OpenAIStream.Done);

    /// A usage chunk with the details OpenAI adds: cached prompt tokens and reasoning tokens.
    public static FakeFrame DetailedUsage() => OpenAIStream.Data(new
    {
        id = "chatcmpl-usage",
        @object = "chat.completion.chunk",
        created = 1,
        model = "gpt-test",
        choices = Array.Empty<object>(),
        usage = new
        {
            prompt_tokens = 5,
            completion_tokens = 4,
            total_tokens = 9,
            prompt_tokens_details = new { cached_tokens = 3 },
            completion_tokens_details = new { reasoning_tokens = 2 },
        },
    });

    public static HttpRequestMessage ResumableRequest(Guid sessionId, string content, bool resumable = true)
    {
        var body = JsonSerializer.Serialize(new { session_id = sessionId, messages = new[] { new { role = "user", content } }, resumable });
        return new HttpRequestMessage(HttpMethod.Post, "/api/messages/stream?protocol=sse") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }

    /// Waits until the first Host no longer holds the session's ended turn in memory.
    public async Task WaitUntilForgottenAsync(Guid sessionId)
    {
        var turns = Services.GetRequiredService<LiveTurns>();
        // Well under the 30 s retention, so that only storing the positions lets the turn go in time.
        await Eventually.TrueAsync(() => Task.FromResult(turns.Find(sessionId) is null), "the ended turn was never dropped from memory", TimeSpan.FromSeconds(15));
    }

    public Task WaitForPositionsAsync(Guid sessionId, int replies) =>
        Eventually.TrueAsync(
            async () =>
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM messaging.messages WHERE session_id = @id AND stream_positions IS NOT NULL", connection);
                command.Parameters.AddWithValue("id", sessionId);
                return (long)(await command.ExecuteScalarAsync())! >= replies;
            },
            "the turn's positions were never stored");
}
