using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Arena.Bench;

// bench/run.sh builds in Release and calls this; see bench/README.md for the scenarios and the options.
var options = BenchOptions.Parse(args);
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => ServerProcess.KillAll());
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ServerProcess.KillAll());
var report = await new BenchRunner(options, Console.Out).RunAsync();
Console.WriteLine();
Console.Write(Report.Text(report));
var output = Path.Combine(options.RepoRoot, options.OutputPath);
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(report, BenchJson.Options));
Console.WriteLine($"report: {output}");
// The limits scenario asserts; the throughput scenarios only measure.
return report.Limits.All(limits => limits.Passed) ? 0 : 2;

internal static class BenchJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
