using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Arena.Tests.Support;

namespace Arena.Tests.Reliability;

/// The built Host (<c>src/Host/bin/{configuration}/net10.0/Arena.Host.dll</c>) as a child process of its own, on a port
/// the kernel picks, so that a test can send it real signals and read its exit code and its whole console output.
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process)
    {
        this.process = process;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<HostProcess> StartAsync(string connectionString, IDictionary<string, string> settings)
    {
        var configuration = typeof(HostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var dll = Path.Combine(RepoRoot(), "src", "Host", "bin", configuration, "net10.0", "Arena.Host.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project references the Host, so building the tests builds it.");

        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["ConnectionStrings__Arena"] = connectionString;
        start.Environment["Authentication__Schemes__Bearer__ValidIssuer"] = TestTokens.Issuer;
        start.Environment["Authentication__Schemes__Bearer__ValidAudiences__0"] = TestTokens.Audience;
        start.Environment["Authentication__Schemes__Bearer__SigningKeys__0__Issuer"] = TestTokens.Issuer;
        start.Environment["Authentication__Schemes__Bearer__SigningKeys__0__Value"] = TestTokens.SigningKey;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var host = new HostProcess(Process.Start(start)!);
        host.process.OutputDataReceived += (_, line) => host.Record(line.Data);
        host.process.ErrorDataReceived += (_, line) => host.Record(line.Data);
        host.process.BeginOutputReadLine();
        host.process.BeginErrorReadLine();
        _ = host.process.WaitForExitAsync().ContinueWith(_ => host.listening.TrySetException(new InvalidOperationException("The Host exited before it listened:\n" + host.Output)), TaskScheduler.Default);

        // Generous: a start applies the migrations of every module, on a machine shared with other builds.
        host.BaseAddress = await host.listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return host;
    }

    public HttpClient As(string user)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(user));
        return client;
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
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        if (Listening().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Arena.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Arena.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
