using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Arena.Bench;

/// The limits scenario: several users over their per-user limits at once, through the gateway on the streaming
/// pipeline and on the legacy pipeline's fair share; then every accepted stream is looked up in the database.
internal sealed partial class BenchRunner
{
    private async Task<LimitsResult> MeasureLimitsAsync(string path)
    {
        var legacy = path == "legacy";
        var users = legacy ? options.LimitsLegacyUsers : options.LimitsUsers;
        var share = Math.Max(1, options.LimitsLegacyCap * options.LimitsLegacySharePercent / 100);
        var limit = legacy ? share : options.LimitsStreamsPerUser;
        var clientsPerUser = Math.Max(limit + 1, (int)Math.Ceiling(limit * options.LimitsOverload));
        var streamLength = TimeSpan.FromMilliseconds(options.LimitsChunks * (double)options.IntervalMs);
        var settings = new Dictionary<string, string>
        {
            ["Arena__Gateway__AllowOverrideHeader"] = legacy ? "true" : "false",
            ["Arena__Gateway__StreamingShare"] = legacy ? "0" : "100",
            // On the legacy variant only the fair share may bind, so the per-user stream limit is the whole pool there.
            ["Arena__Limits__StreamsPerUser"] = (legacy ? Math.Max(options.LimitsLegacyCap, options.LimitsStreamsPerUser) : options.LimitsStreamsPerUser).ToString(CultureInfo.InvariantCulture),
            ["Arena__Limits__StreamRequestsPerMinute"] = (legacy ? options.LimitsLegacyRequestsPerMinute : options.LimitsRequestsPerMinute).ToString(CultureInfo.InvariantCulture),
            ["Arena__Messaging__LegacyMaxConcurrentStreams"] = options.LimitsLegacyCap.ToString(CultureInfo.InvariantCulture),
            ["Arena__Messaging__LegacyUserSharePercent"] = options.LimitsLegacySharePercent.ToString(CultureInfo.InvariantCulture),
        };
        console.WriteLine();
        console.WriteLine($"limits/{path}: {users} users × {clientsPerUser} clients, limit {limit} per user, {options.LimitsSeconds.ToString(CultureInfo.InvariantCulture)} s, streams of {streamLength.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; " +
            string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}")));

        var upstream = await StartUpstreamAsync(options.LimitsChunks, options.IntervalMs);
        ServerProcess? server = null;
        var loads = Enumerable.Range(0, users).Select(user => new LoadGenerator(token.For(UserName(user)))).ToArray();
        var streams = Enumerable.Range(0, users).Select(_ => new ConcurrentBag<CapturedStream>()).ToArray();
        var targets = new StreamTarget[users];
        long runStart, stopAt;
        try
        {
            server = await StartArenaAsync($"limits-{path}", upstream, settings);
            for (var user = 0; user < users; user++)
            {
                targets[user] = await ArenaTargetAsync(loads[user].Http, server.Address, path, clientsPerUser, "compare", 2);
            }

            using var stopStarting = new CancellationTokenSource();
            using var cancel = new CancellationTokenSource();
            var ramp = TimeSpan.FromSeconds(1);
            runStart = Stopwatch.GetTimestamp();
            var clients = new List<Task>();
            for (var user = 0; user < users; user++)
            {
                for (var client = 0; client < clientsPerUser; client++)
                {
                    var (u, c) = (user, client);
                    clients.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await Task.Delay(ramp * c / clientsPerUser, stopStarting.Token);
                            while (!stopStarting.IsCancellationRequested)
                            {
                                var stream = await loads[u].RunCapturedAsync(targets[u], c, cancel.Token);
                                streams[u].Add(stream);
                                if (!stream.Accepted || stream.Error is not null)
                                {
                                    await Task.Delay(options.LimitsRetryMs, stopStarting.Token);
                                }
                            }
                        }
                        catch (OperationCanceledException) when (stopStarting.IsCancellationRequested)
                        {
                            // The window is over.
                        }
                    }, CancellationToken.None));
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(options.LimitsSeconds));
            stopAt = Stopwatch.GetTimestamp();
            await stopStarting.CancelAsync();
            cancel.CancelAfter(TimeSpan.FromSeconds(Math.Max(10, 3 * streamLength.TotalSeconds)));
            await Task.WhenAll(clients);
        }
        finally
        {
            foreach (var load in loads)
            {
                load.Dispose();
            }

            if (server is not null)
            {
                await server.DisposeAsync();
            }

            await upstream.DisposeAsync();
        }

        // Read with Arena stopped, so that every final write it was going to make is made.
        var perUser = new List<LimitsUser>();
        for (var user = 0; user < users; user++)
        {
            var (stored, replies) = await database.StoredTurnsAsync(targets[user].Sessions!);
            perUser.Add(LimitsUser.Measure(UserName(user), clientsPerUser, limit, [.. streams[user].OrderBy(s => s.SentAt)], targets[user].Sessions!, stored, replies,
                runStart + (long)(streamLength.TotalSeconds * Stopwatch.Frequency), stopAt, options.LimitsToleranceMs));
        }

        var allAccepted = streams.SelectMany(s => s).Where(s => s.Accepted).ToList();
        var poolPeak = LimitsUser.Sweep(allAccepted.Select(s => (s.AnsweredAt, s.LastEndAt > 0 ? s.LastEndAt : s.ClosedAt)), int.MaxValue).Peak;
        var result = LimitsResult.Judge(path, users, limit, clientsPerUser, options, streamLength.TotalSeconds, settings, perUser, legacy ? options.LimitsLegacyCap : null, poolPeak);
        console.Write(Report.LimitsText(result));
        return result;
    }

    private static string UserName(int user) => $"limits-user-{user + 1}";
}
