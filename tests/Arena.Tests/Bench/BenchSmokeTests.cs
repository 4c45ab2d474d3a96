using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Arena.Tests.Support;
using Npgsql;

namespace Arena.Tests.Bench;

/// The benchmark at a tiny size: it must start its servers, run a sweep point per path and the soak, and report
/// every figure. Timings are not asserted; speed goals live in bench/.
public class BenchSmokeTests
{
    [Fact]
    public async Task Bench_TinyRun_FinishesAndReportsEveryFigure()
    {
        var repo = Checkout.Root;
        var configuration = typeof(BenchSmokeTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var harness = Path.Combine(repo, "bench", "Arena.Bench", "bin", configuration, "net10.0", "Arena.Bench.dll");
        Assert.True(File.Exists(harness), $"{harness} is missing: the test project references the harness, so building the tests builds it.");

        var database = await PostgresServer.CreateDatabaseAsync();
        var admin = new NpgsqlConnectionStringBuilder(database) { Database = "postgres" }.ConnectionString;
        var output = Directory.CreateTempSubdirectory("arena-bench-");
        try
        {
            var (exitCode, log) = await RunAsync(repo,
            [
                harness, "all", "--repo", repo, "-c", configuration, "--postgres", admin,
                "--database", new NpgsqlConnectionStringBuilder(database).Database!,
                "--out", Path.Combine(output.FullName, "report.json"), "--logs", Path.Combine(output.FullName, "logs"),
                "--scenarios", "sweep,soak,telemetry", "--telemetry-rounds", "1", "--telemetry-c", "2", "--paths", "relay,relay-sdk,gateway,relay4,gateway4", "--sweep", "2", "--duration", "1", "--warmup", "0.3", "--settle", "0.5", "--tiering-wait", "0",
                "--chunks", "3", "--interval-ms", "20", "--soak-streams", "3", "--soak-seconds", "0.3", "--soak-interval-ms", "100", "--soak-ramp", "0",
            ], TimeSpan.FromMinutes(8));
            Assert.True(exitCode == 0, log);

            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.FullName, "report.json")));
            var points = report.RootElement.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal(["sweep/relay", "sweep/relay-sdk", "sweep/gateway", "sweep/relay4", "sweep/gateway4", "soak/soak", "telemetry/telemetry-on", "telemetry/telemetry-off"], points.Select(p => $"{p.GetProperty("scenario").GetString()}/{p.GetProperty("path").GetString()}"));
            foreach (var point in points)
            {
                Assert.True(point.GetProperty("streams").GetInt32() > 0, point.ToString());
                Assert.Equal(0, point.GetProperty("errors").GetInt32());
                // Three chunks per participant and one end line each: two participants in compare, four on the paths named
                // for them, one in the soak's direct mode.
                Assert.Equal(point.GetProperty("path").GetString() switch { "soak" => 4, "relay4" or "gateway4" => 16, _ => 8 }, point.GetProperty("events_per_stream").GetDouble());
                foreach (var figure in new[] { "ttfe_p50_ms", "ttfe_p99_ms", "total_p50_ms", "total_p99_ms", "events_per_second", "server_cpu_us_per_event", "server_tiering_percent", "postgres_cpu_us_per_event", "rss_kb_per_open_stream", "threads_peak" })
                {
                    Assert.True(point.GetProperty(figure).GetDouble() >= 0, figure);
                }

                Assert.True(point.GetProperty("total_p50_ms").GetDouble() > 0, point.ToString());
                Assert.True(point.GetProperty("threads_peak").GetInt32() > 0, point.ToString());
            }

            Assert.Equal(JsonValueKind.Null, points[0].GetProperty("database").ValueKind);
            Assert.Equal(JsonValueKind.Null, points[1].GetProperty("database").ValueKind);
            Assert.True(points[2].GetProperty("database").GetProperty("commits").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, points[3].GetProperty("database").ValueKind);
            Assert.True(points[4].GetProperty("database").GetProperty("commits").GetDouble() > 0);
            var four = Assert.Single(report.RootElement.GetProperty("four_participants").EnumerateArray());
            Assert.Equal(2, four.GetProperty("concurrency").GetInt32());
            foreach (var ratio in new[] { "gateway4_vs_gateway", "gateway4_vs_relay4", "relay4_vs_relay", "gateway_vs_relay" })
            {
                Assert.True(four.GetProperty(ratio).GetDouble() > 0, ratio);
            }

            Assert.True(report.RootElement.GetProperty("knees").TryGetProperty("gateway", out _));
            Assert.Contains(report.RootElement.GetProperty("targets").EnumerateArray(), t => t.GetProperty("target").GetString()!.StartsWith("knee", StringComparison.Ordinal));
            // One round per side: both measured, but no spread yet to judge the difference against.
            var telemetry = report.RootElement.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("target").GetString()!.Contains("telemetry on", StringComparison.Ordinal));
            Assert.StartsWith("on ", telemetry.GetProperty("measured").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    private static async Task<(int ExitCode, string Log)> RunAsync(string repo, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous: on a quiet machine the tiny run takes well under a minute, but three Arena starts on a saturated
        // shared machine have taken more than three.
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            // The harness's servers are its children: end them with it.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
