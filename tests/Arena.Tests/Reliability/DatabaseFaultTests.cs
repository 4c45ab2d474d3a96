using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Arena.Tests.Reliability;

/// The Host reaches PostgreSQL only through a <see cref="FaultProxy"/> (the test's own queries go straight to the server),
/// waits at most 2 s to connect and 2 s per command, and streams <c>paced-model</c>: 32 chunks 250 ms apart from a provider
/// that gives up after 3 s without a chunk, so a read loop that waited on the hung database would end in that timeout.
public sealed class DatabaseFaultApp : MessagingApp
{
    public const string Paced = "paced-model";
    public const string Paced2 = "paced-model-2";
    public const int PacedChunks = 32;
    public static readonly TimeSpan ChunkInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);

    public FaultProxy Proxy { get; private set; } = null!;

    public CapturedLogs Logs { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        Proxy = FaultProxy.Start(ConnectionString);
        settings["ConnectionStrings:Arena"] = Proxy.Through(ConnectionString);
        settings["Arena:Database:ConnectTimeout"] = DatabaseTimeout.ToString();
        settings["Arena:Database:CommandTimeout"] = DatabaseTimeout.ToString();
        settings["Arena:Messaging:PartialFlushInterval"] = "00:00:00.200";
        settings["Arena:Providers:paced:Kind"] = "mock";
        settings["Arena:Providers:paced:IdleTimeout"] = "00:00:03";
        settings["Arena:Providers:paced:Mock:ChunkCount"] = $"{PacedChunks}";
        settings["Arena:Providers:paced:Mock:ChunkInterval"] = ChunkInterval.ToString();
        settings["Arena:Models:paced-model:Provider"] = "paced";
        settings["Arena:Models:paced-model-2:Provider"] = "paced";
    }

    protected override void ConfigureServices(IServiceCollection services) => Logs.AddTo(services);

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Proxy.DisposeAsync();
    }

    /// Every stored row of a session, read past the proxy.
    public async Task<List<(string Role, string Participant, string Status, string Content)>> RowsAsync(Guid session)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT role, coalesce(participant, ''), status, content FROM messaging.messages WHERE session_id = @id", connection);
        command.Parameters.AddWithValue("id", session);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return rows;
    }
}

public sealed class DatabaseFaultTests(DatabaseFaultApp app) : IClassFixture<DatabaseFaultApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// Npgsql's own defaults are 15 s to connect and 30 s per command; twice the configured 2 s plus room for a busy machine
    /// still proves the request path's timeouts are the ones that answered.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Stream_DatabaseHangsWhileCompareStreamsRun_ChunksKeepThePaceAndRepliesEndSuccess(string pipeline)
    {
        using var client = app.As($"db-hang-open-{pipeline}");
        var session = await app.CreateSessionAsync(client, DatabaseFaultApp.Paced, DatabaseFaultApp.Paced2);
        using var patience = new CancellationTokenSource(Patience);
        using var response = await client.SendAsync(MessagingApp.StreamRequest(session, "Keep talking", pipeline: pipeline), HttpCompletionOption.ResponseHeadersRead, patience.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(patience.Token), Encoding.UTF8);

        var streamed = new Dictionary<char, StringBuilder> { ['a'] = new(), ['b'] = new() };
        var last = new Dictionary<char, TimeSpan>();
        var gaps = new Dictionary<char, TimeSpan> { ['a'] = TimeSpan.Zero, ['b'] = TimeSpan.Zero };
        var clock = Stopwatch.StartNew();
        TimeSpan? hungAt = null;
        TimeSpan? recoveredAt = null;
        var savedWhileHung = "";
        var finished = new List<string>();
        try
        {
            var deltas = 0;
            while (await reader.ReadLineAsync(patience.Token) is { } line)
            {
                Assert.False(line.Length > 1 && line[1] == '3', $"a reply failed while the database hung: {line}");
                if (line.Length > 1 && line[1] == 'd')
                {
                    finished.Add(line);
                }

                if (line.Length < 3 || line[1] != '0')
                {
                    continue;
                }

                var participant = line[0];
                streamed[participant].Append(JsonDocument.Parse(line[3..]).RootElement.GetProperty("content").GetString());
                var now = clock.Elapsed;
                if (hungAt is not null && recoveredAt is null && last.TryGetValue(participant, out var previous) && now - previous > gaps[participant])
                {
                    gaps[participant] = now - previous;
                }

                last[participant] = now;
                deltas++;
                if (deltas == 8)
                {
                    app.Proxy.Hang();
                    hungAt = now;
                }
                else if (deltas == 48)
                {
                    savedWhileHung = string.Concat((await app.RowsAsync(session)).Where(r => r.Role == "assistant").Select(r => r.Content));
                    app.Proxy.Pass();
                    recoveredAt = now;
                }
            }
        }
        finally
        {
            app.Proxy.Pass();
        }

        Assert.NotNull(recoveredAt);
        var hang = recoveredAt.Value - hungAt!.Value;
        // Longer than a command and a connect timeout together, so the saves attempted meanwhile failed and were retried.
        Assert.True(hang > DatabaseFaultApp.DatabaseTimeout * 2, $"the database hung only {hang}");
        // Nothing reached the database during the hang: what it holds is far behind what the client had by then.
        Assert.True(savedWhileHung.Length < (streamed['a'].Length + streamed['b'].Length) / 2, $"{savedWhileHung.Length} characters were saved while hung");
        foreach (var (participant, gap) in gaps)
        {
            // The provider sends every 250 ms; a loop frozen on the database for the hang would show a gap of 5 s. Half of that
            // leaves room for a saturated machine (one full-suite run saw a 2.07 s gap, close to the 2 s command timeout).
            Assert.True(gap < hang / 2, $"participant {participant} waited {gap} between chunks while the database hung for {hang}");
        }

        Assert.Equal(2, finished.Count);
        Assert.All(finished, line => Assert.Contains("\"finishReason\":\"stop\"", line, StringComparison.Ordinal));
        var rows = await EventuallySettledAsync(session);
        Assert.All(rows, row => Assert.Equal("success", row.Status));
        Assert.Equal(streamed['a'].ToString(), rows.Single(r => r.Participant == "a").Content);
        Assert.Equal(streamed['b'].ToString(), rows.Single(r => r.Participant == "b").Content);
    }

    [Theory]
    [InlineData("refuse", "streaming")]
    [InlineData("refuse", "legacy")]
    [InlineData("hang", "streaming")]
    [InlineData("hang", "legacy")]
    public async Task Stream_DatabaseUnreachableBeforeAStream_Answers503WithRetryAfterWithinTheTimeoutAndStoresNothing(string fault, string pipeline)
    {
        using var client = app.As($"db-{fault}-before-{pipeline}");
        var session = await app.CreateSessionAsync(client, DatabaseFaultApp.Paced, DatabaseFaultApp.Paced2);
        HttpResponseMessage response;
        TimeSpan took;
        try
        {
            if (fault == "refuse")
            {
                app.Proxy.Refuse();
            }
            else
            {
                app.Proxy.Hang();
            }

            var clock = Stopwatch.StartNew();
            response = await client.SendAsync(MessagingApp.StreamRequest(session, "Anyone there?", pipeline: pipeline));
            took = clock.Elapsed;
        }
        finally
        {
            app.Proxy.Pass();
        }

        using (response)
        {
            await AssertUnavailableAsync(response, pipeline);
        }

        Assert.True(took < Bound, $"answered after {took}");
        Assert.Equal(0, await app.CountRowsAsync(session));
    }

    [Theory]
    [InlineData("refuse")]
    [InlineData("hang")]
    public async Task EveryEndpoint_DatabaseUnreachable_Answers503WithRetryAfterWithinTheTimeout(string fault)
    {
        using var client = app.As($"db-endpoints-{fault}");
        var session = await app.CreateSessionAsync(client, DatabaseFaultApp.Paced, DatabaseFaultApp.Paced2);
        // Its own session to delete: a hung connection delivers its held DELETE once the network heals, as a real
        // partition may, and the check of recovery below reads the other one.
        var doomed = await app.CreateSessionAsync(client, DatabaseFaultApp.Paced);
        Func<Task<HttpResponseMessage>>[] requests =
        [
            () => client.GetAsync("/api/sessions"),
            () => client.PostAsJsonAsync("/api/sessions", new { mode = "direct", model_a = DatabaseFaultApp.Paced }),
            () => client.GetAsync($"/api/sessions/{session}"),
            () => client.PatchAsJsonAsync($"/api/sessions/{session}", new { title = "renamed" }),
            () => client.GetAsync($"/api/sessions/{session}/messages"),
            () => client.PostAsJsonAsync($"/api/sessions/{session}/vote", new { winner = "a" }),
            () => client.GetAsync("/api/leaderboard"),
            () => client.DeleteAsync($"/api/sessions/{doomed}"),
        ];
        var answers = new List<(HttpResponseMessage Response, TimeSpan Took)>();
        HttpResponseMessage ready;
        try
        {
            if (fault == "refuse")
            {
                app.Proxy.Refuse();
            }
            else
            {
                app.Proxy.Hang();
            }

            // Concurrently, as clients would come: each is bounded by the timeouts on its own.
            var clock = Stopwatch.StartNew();
            answers.AddRange(await Task.WhenAll(requests.Select(async send => (await send(), clock.Elapsed))));
            ready = await client.GetAsync("/health/ready");
        }
        finally
        {
            app.Proxy.Pass();
        }

        foreach (var (response, took) in answers)
        {
            using (response)
            {
                await AssertUnavailableAsync(response, $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.AbsolutePath}");
                Assert.True(took < Bound, $"{response.RequestMessage.RequestUri} answered after {took}");
            }
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var recovered = await client.GetAsync($"/api/sessions/{session}");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    private async Task AssertUnavailableAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what} answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{what} has no Retry-After");
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", body, StringComparison.Ordinal);
        // An outage is expected: warnings, never an error. One exception owned elsewhere: the framework's health check
        // service logs every unhealthy readiness check as one.
        var errors = app.Logs.Lines.Where(line => (line.StartsWith("Error ", StringComparison.Ordinal) || line.StartsWith("Critical ", StringComparison.Ordinal))
            && !line.StartsWith("Error Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors.Select(e => e[..Math.Min(300, e.Length)])));
        Assert.Contains(app.Logs.Lines, line => line.StartsWith("Warning Arena.Host.Defaults.ProblemExceptionHandler: The database is unavailable", StringComparison.Ordinal));
    }

    private Task<List<(string Role, string Participant, string Status, string Content)>> EventuallySettledAsync(Guid session) =>
        Eventually.UntilAsync(
            async () => (await app.RowsAsync(session)).Where(r => r.Role == "assistant").ToList(),
            replies => replies.Count > 0 && replies.All(r => r.Status != "streaming"),
            replies => $"the replies never settled: {string.Join(", ", replies.Select(r => $"{r.Participant} {r.Status}"))}",
            Patience);
}
