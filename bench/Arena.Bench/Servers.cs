using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arena.Bench;

/// A server the harness started: its own process (so that /proc shows its cost alone), its output in a log file.
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly HashSet<Process> Running = [];
    private readonly Process process;

    private ServerProcess(Process process, string name, Uri address, string logPath)
    {
        this.process = process;
        Name = name;
        Address = address;
        LogPath = logPath;
    }

    public string Name { get; }

    public Uri Address { get; }

    public string LogPath { get; }

    public int Pid => process.Id;

    /// Starts <paramref name="dll"/> on a free loopback port and waits until <paramref name="readyPath"/> answers 2xx.
    public static async Task<ServerProcess> StartAsync(string name, string dll, IEnumerable<string> arguments, IDictionary<string, string> environment, string logDirectory, string readyPath)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build in the same configuration first (bench/run.sh does).");
        }

        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{name}.log");
        // Names must be valid shell identifiers (no "-" or "."), or the shell drops them.
        // exec keeps the pid: the process measured is the server itself, and its output goes to the file, not through us.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec dotnet \"$@\" >>\"$log\" 2>&1");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(logPath);
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.ToString().TrimEnd('/'));
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_gcServer"] = null;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
        lock (Running)
        {
            Running.Add(process);
        }

        var server = new ServerProcess(process, name, address, logPath);
        await server.WaitReadyAsync(readyPath);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM lets it close its connections cleanly, so PostgreSQL's backends exit and flush their statistics.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        lock (Running)
        {
            Running.Remove(process);
        }

        process.Dispose();
    }

    /// When the harness is interrupted, its servers must not outlive it.
    public static void KillAll()
    {
        lock (Running)
        {
            foreach (var process in Running)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }
    }

    private async Task WaitReadyAsync(string readyPath)
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before it was ready; see {LogPath}.");
            }

            try
            {
                using var response = await client.GetAsync(readyPath);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} was not ready within 90 s; see {LogPath}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
