using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Arena.Tests.Support;

/// The real Host as a process of its own (the build the tests were compiled with), for what only a process can show: a
/// kill -9 or a SIGTERM. It listens on a loopback port the kernel picks and is killed with its tree when disposed.
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> output = [];

    private HostProcess(Process process) => this.process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (output)
            {
                return string.Join('\n', output);
            }
        }
    }

    /// Starts the Host on the given database with the tests' token settings and <paramref name="settings"/> on top.
    public static async Task<HostProcess> StartAsync(string connectionString, IDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(HostDll());
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // One line per entry, so that a test can search the output for a message or an exception's first line.
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings:Arena"] = connectionString,
            ["Authentication:Schemes:Bearer:ValidIssuer"] = TestTokens.Issuer,
            ["Authentication:Schemes:Bearer:ValidAudiences:0"] = TestTokens.Audience,
            [TestTokens.KeyIssuerSetting] = TestTokens.Issuer,
            [TestTokens.KeyValueSetting] = TestTokens.SigningKey,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var host = new HostProcess(Process.Start(start) ?? throw new InvalidOperationException("The Host did not start."));
        host.process.OutputDataReceived += (_, line) => host.Read(line.Data);
        host.process.ErrorDataReceived += (_, line) => host.Read(line.Data);
        host.process.BeginOutputReadLine();
        host.process.BeginErrorReadLine();
        _ = host.process.WaitForExitAsync().ContinueWith(_ => host.listening.TrySetException(new InvalidOperationException($"The Host exited before listening:\n{host.Output}")), TaskScheduler.Default);
        // Generous: a Host start on a saturated shared machine has taken tens of seconds.
        host.BaseAddress = await host.listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return host;
    }

    public HttpClient As(string user)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        return client;
    }

    /// SIGKILL: no shutdown hooks, no final writes, no lease removal, as a crash or an OOM kill leaves things.
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// SIGTERM, as a container runtime or systemd stops a service.
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await process.WaitForExitAsync().WaitAsync(timeout);
        // The asynchronous readers may still hold the last lines; this returns once they reached the end of the output.
        process.WaitForExit();
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Add(line);
        }

        if (Listening().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    /// The build of the Host next to this test assembly's configuration: tests/Arena.Tests/bin/{Configuration}/net10.0.
    private static string HostDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Checkout.Root, "src", "Host", "bin", bin.Parent!.Name, bin.Name, "Arena.Host.dll");
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
