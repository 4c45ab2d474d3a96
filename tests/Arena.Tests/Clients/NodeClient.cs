using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Arena.Tests.Support;

namespace Arena.Tests.Clients;

/// One of the scripts in tests/clients, run by Node with its parameters in the environment. A script writes a line on
/// stderr for each request and event, which a test waits on to act mid-turn, and its record as one JSON line on stdout.
internal sealed class NodeClient : IAsyncDisposable
{
    public static readonly string Folder = Path.Combine(Checkout.Root, "tests", "clients");

    private static readonly string NodePath = Environment.GetEnvironmentVariable("ARENA_NODE") is { Length: > 0 } path ? path : "node";

    private readonly Process process;
    private readonly List<string> progress = [];
    private readonly List<string> output = [];

    private NodeClient(Process process) => this.process = process;

    /// Progress lines so far: <c>request N STATUS</c>, <c>event ID NAME [PARTICIPANT]</c>, and the clients' failures.
    public IReadOnlyList<string> Progress
    {
        get
        {
            lock (progress)
            {
                return [.. progress];
            }
        }
    }

    public static NodeClient Start(string script, IDictionary<string, string> settings) => Start([script], settings);

    /// Runs an npm package's command-line tool (its script under node_modules) to its end: its exit code and everything
    /// wrote on standard output and on standard error.
    public static async Task<(int ExitCode, string Output, string Errors)> RunToolAsync(string package, string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        await using var tool = Start([Path.Combine(Folder, "node_modules", package, script), .. arguments], new Dictionary<string, string>());
        try
        {
            await tool.process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{package} did not end within {timeout}; output:\n{string.Join('\n', tool.Progress)}");
        }

        tool.process.WaitForExit();
        string[] lines;
        lock (tool.output)
        {
            lines = [.. tool.output];
        }

        return (tool.process.ExitCode, string.Join('\n', lines), string.Join('\n', tool.Progress));
    }

    private static NodeClient Start(IEnumerable<string> arguments, IDictionary<string, string> settings)
    {
        using var manifestOfFolder = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "package.json")));
        foreach (var package in manifestOfFolder.RootElement.GetProperty("dependencies").EnumerateObject().Select(d => d.Name))
        {
            var manifest = Path.Combine(Folder, "node_modules", package, "package.json");
            if (!File.Exists(manifest))
            {
                throw new InvalidOperationException($"The npm package {package} is not installed ({manifest}): run `npm ci --prefix tests/clients`, or ./scripts/test.sh which runs it.");
            }
        }

        var start = new ProcessStartInfo(NodePath) { WorkingDirectory = Folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        Process started;
        try
        {
            started = Process.Start(start) ?? throw new InvalidOperationException($"{NodePath} did not start.");
        }
        catch (Win32Exception exception)
        {
            throw new InvalidOperationException($"Node.js is needed to run the npm clients and `{NodePath}` could not be started ({exception.Message}): install Node 20 or later (scripts/test.sh installs npm, which brings it) or set ARENA_NODE.", exception);
        }

        var client = new NodeClient(started);
        started.ErrorDataReceived += (_, line) => Add(client.progress, line.Data);
        started.OutputDataReceived += (_, line) => Add(client.output, line.Data);
        started.BeginErrorReadLine();
        started.BeginOutputReadLine();
        return client;
    }

    /// Waits until the progress so far satisfies <paramref name="condition"/>; fails with the progress if the script ends first.
    public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> condition, string failure)
    {
        // Whether it ended is read before the lines, so that lines written just before the end still count.
        var seen = await Eventually.SettleAsync(() => Task.FromResult((Ended: process.HasExited, Lines: Progress)), s => s.Ended || condition(s.Lines));
        Assert.True(condition(seen.Lines), $"{failure}{(seen.Ended ? " (the script ended first)" : "")}; progress:\n{string.Join('\n', seen.Lines)}");
    }

    /// The script's record, once it ended by itself.
    public async Task<JsonElement> ResultAsync(TimeSpan timeout)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The client did not end within {timeout}; progress:\n{string.Join('\n', Progress)}");
        }

        // The asynchronous readers may still hold the last lines; this returns once they reached the end of the output.
        process.WaitForExit();
        string[] lines;
        lock (output)
        {
            lines = [.. output];
        }

        Assert.True(process.ExitCode == 0 && lines.Length > 0, $"The client exited with {process.ExitCode}; output:\n{string.Join('\n', lines)}\nprogress:\n{string.Join('\n', Progress)}");
        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }

    /// How many deltas of <paramref name="participant"/> the progress shows.
    public static int Deltas(IReadOnlyList<string> lines, string participant) =>
        lines.Count(line => line.StartsWith("event ", StringComparison.Ordinal) && line.EndsWith($" delta {participant}", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }
    }
}
