using System.Net;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Modules.Messaging;

/// A Host whose stream lease is renewed every 200 ms and lapses after one second, so that sweeps happen within a test.
public sealed class LeaseMessagingApp : MessagingApp
{
    public const string Steady = "steady-model";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Arena:Messaging:StreamHostHeartbeat"] = "00:00:00.200";
        settings["Arena:Messaging:StreamHostLease"] = "00:00:01";
        settings["Arena:Providers:steady:Kind"] = "mock";
        settings["Arena:Providers:steady:Mock:ChunkCount"] = "4";
        settings["Arena:Providers:steady:Mock:ChunkInterval"] = "00:00:00.700";
        settings["Arena:Models:steady-model:Provider"] = "steady";
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}

public sealed class StreamHostLeaseTests(LeaseMessagingApp app) : IClassFixture<LeaseMessagingApp>
{
    [Fact]
    public async Task Sweep_WhileRunning_InterruptsADeadHostsRepliesAndLeavesALiveHostsAlone()
    {
        using var client = app.As("lease-sweep");
        var orphaned = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var elsewhere = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var (deadHost, liveHost) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var (orphanedReply, elsewhereReply) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await app.ExecuteAsync(
            """
            INSERT INTO messaging.stream_hosts (id, started_at, heartbeat_at)
            VALUES (@dead, now() - interval '2 hours', now() - interval '1 hour'), (@live, now(), now() + interval '1 hour');
            INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at)
            VALUES (@orphanedReply, @orphaned, 'assistant', 'cut short by a crash', NULL, 'fast-model', 'a', 'streaming', @dead, now(), now()),
                   (@elsewhereReply, @elsewhere, 'assistant', 'still arriving elsewh', NULL, 'fast-model', 'a', 'streaming', @live, now(), now())
            """,
            ("dead", deadHost),
            ("live", liveHost),
            ("orphanedReply", orphanedReply),
            ("orphaned", orphaned),
            ("elsewhereReply", elsewhereReply),
            ("elsewhere", elsewhere));

        // No restart: the running Host's heartbeat sweep finds the reply whose host stopped renewing its lease.
        var status = await PollStatusAsync(orphanedReply, until: "interrupted", TimeSpan.FromSeconds(20));

        Assert.Equal("interrupted", status);
        Assert.Equal("cut short by a crash", await app.ScalarAsync<string>("SELECT content FROM messaging.messages WHERE id = @id", ("id", orphanedReply)));
        Assert.Equal("streaming", await app.ScalarAsync<string>("SELECT status FROM messaging.messages WHERE id = @id", ("id", elsewhereReply)));
        Assert.Equal(HttpStatusCode.OK, (await MessagingApp.StreamAsync(client, orphaned, "after the sweep")).Response.StatusCode);
        await ProblemAssert.IsProblem(await client.SendAsync(MessagingApp.StreamRequest(elsewhere, "still running there")), HttpStatusCode.Conflict);
        // The sweep deletes lapsed hosts in a statement after its update: poll rather than race it.
        await Eventually.EqualAsync(0L, () => app.ScalarAsync<long>("SELECT count(*) FROM messaging.stream_hosts WHERE id = @id", ("id", deadHost)), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Sweep_RowsFromBeforeLeases_InterruptedOnlyOnceSilentForALease()
    {
        using var client = app.As("lease-legacy-rows");
        var (silent, active) = (await app.CreateSessionAsync(client, MessagingApp.Fast), await app.CreateSessionAsync(client, MessagingApp.Fast));
        var (silentReply, activeReply) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        // What an instance of the previous version writes during a rolling deploy: no host, updated while it streams.
        await app.ExecuteAsync(
            """
            INSERT INTO messaging.messages (id, session_id, role, content, parent_id, model, participant, status, stream_host_id, created_at, updated_at)
            VALUES (@silentReply, @silent, 'assistant', 'old and quiet', NULL, 'fast-model', 'a', 'streaming', NULL, now(), now() - interval '1 hour'),
                   (@activeReply, @active, 'assistant', 'old but flowing', NULL, 'fast-model', 'a', 'streaming', NULL, now(), now() + interval '1 hour')
            """,
            ("silentReply", silentReply),
            ("silent", silent),
            ("activeReply", activeReply),
            ("active", active));

        Assert.Equal("interrupted", await PollStatusAsync(silentReply, until: "interrupted", TimeSpan.FromSeconds(20)));
        Assert.Equal("streaming", await app.ScalarAsync<string>("SELECT status FROM messaging.messages WHERE id = @id", ("id", activeReply)));
    }

    [Fact]
    public async Task Lease_StreamLongerThanTheLease_IsNeverSweptAndSucceeds()
    {
        using var client = app.As("lease-own");
        var session = await app.CreateSessionAsync(client, LeaseMessagingApp.Steady);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var streaming = MessagingApp.StreamAsync(client, session, "Take your time");
        var reply = await PollReplyAsync(session, TimeSpan.FromSeconds(20));
        var host = await app.ScalarAsync<Guid>("SELECT stream_host_id FROM messaging.messages WHERE id = @id", ("id", reply));
        var firstBeat = await app.ScalarAsync<DateTime>("SELECT heartbeat_at FROM messaging.stream_hosts WHERE id = @id", ("id", host));
        var seen = new HashSet<string>();
        while (!streaming.IsCompleted)
        {
            seen.Add(await app.ScalarAsync<string>("SELECT status FROM messaging.messages WHERE id = @id", ("id", reply)));
            await Task.Delay(50);
        }

        var (response, _) = await streaming;
        // Sweeps ran every 200 ms for more than two leases; renewing the lease kept the row this host's until the end.
        Assert.True(started.Elapsed > TimeSpan.FromSeconds(2), $"the stream took only {started.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The row turns success just before the client reads the end, so a late sample may see that; never interrupted.
        Assert.Contains("streaming", seen);
        Assert.DoesNotContain("interrupted", seen);
        Assert.Equal("success", await app.ScalarAsync<string>("SELECT status FROM messaging.messages WHERE id = @id", ("id", reply)));
        Assert.True(await app.ScalarAsync<DateTime>("SELECT heartbeat_at FROM messaging.stream_hosts WHERE id = @id", ("id", host)) > firstBeat);
    }

    [Theory]
    [InlineData("streaming")]
    [InlineData("legacy")]
    public async Task Finish_DatabaseRefusesTheFinalWrite_ClientGetsTheEndAndTheRowEndsOnceItIsBack(string pipeline)
    {
        using var client = app.As($"lease-refused-{pipeline}");
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var refuse = $"refuse_end_{Guid.NewGuid():N}";
        // A real refusal from the database, for this session's final write only (the partial writes keep status streaming).
        await app.ExecuteAsync(
            $"""
            CREATE FUNCTION public.{refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER {refuse} BEFORE UPDATE ON messaging.messages FOR EACH ROW
            WHEN (OLD.session_id = '{session}' AND OLD.status = 'streaming' AND NEW.status <> 'streaming') EXECUTE FUNCTION public.{refuse}();
            """);

        var (response, body) = await MessagingApp.StreamAsync(client, session, "Remember me", pipeline: pipeline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("ad:\\{\"finishReason\":\"stop\"", body.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        var reply = await PollReplyAsync(session, TimeSpan.FromSeconds(5));
        Assert.Equal("streaming", await app.ScalarAsync<string>("SELECT status FROM messaging.messages WHERE id = @id", ("id", reply)));
        await ProblemAssert.IsProblem(await client.SendAsync(MessagingApp.StreamRequest(session, "too soon", pipeline: pipeline)), HttpStatusCode.Conflict);

        await app.ExecuteAsync($"DROP TRIGGER {refuse} ON messaging.messages; DROP FUNCTION public.{refuse}();");

        Assert.Equal("success", await PollStatusAsync(reply, until: "success", TimeSpan.FromSeconds(20)));
        var streamed = string.Concat(body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("a0:", StringComparison.Ordinal))
            .Select(l => System.Text.Json.JsonDocument.Parse(l[3..]).RootElement.GetProperty("content").GetString()));
        Assert.Equal(streamed, await app.ScalarAsync<string>("SELECT content FROM messaging.messages WHERE id = @id", ("id", reply)));
        Assert.Equal(HttpStatusCode.OK, (await MessagingApp.StreamAsync(client, session, "now it is back", pipeline: pipeline)).Response.StatusCode);
    }

    private Task<string> PollStatusAsync(Guid messageId, string until, TimeSpan limit) =>
        Eventually.SettleAsync(() => app.ScalarAsync<string>("SELECT status FROM messaging.messages WHERE id = @id", ("id", messageId)), status => status == until, limit);

    private async Task<Guid> PollReplyAsync(Guid sessionId, TimeSpan limit)
    {
        await Eventually.TrueAsync(
            async () => await app.ScalarAsync<long>("SELECT count(*) FROM messaging.messages WHERE session_id = @id AND role = 'assistant'", ("id", sessionId)) > 0,
            "the reply was never inserted",
            limit);
        return await app.ScalarAsync<Guid>("SELECT id FROM messaging.messages WHERE session_id = @id AND role = 'assistant'", ("id", sessionId));
    }
}
