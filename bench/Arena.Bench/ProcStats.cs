using System.Globalization;

namespace Arena.Bench;

/// CPU, memory and threads read from /proc, so that a server's cost is measured from outside it.
internal static class ProcStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// utime + stime of one process, in microseconds; 0 once it is gone.
    public static double CpuMicroseconds(int pid)
    {
        var stat = ReadStat(pid);
        return stat is null ? 0 : Ticks(stat) * 1_000_000 / TicksPerSecond;
    }

    /// utime + stime of every process named postgres (the postmaster, its helpers and every backend), by pid.
    public static Dictionary<int, double> PostgresCpuMicroseconds()
    {
        var result = new Dictionary<int, double>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var stat = ReadStat(pid);
            if (stat is not null && stat.StartsWith($"{pid} (postgres)", StringComparison.Ordinal))
            {
                result[pid] = Ticks(stat) * 1_000_000 / TicksPerSecond;
            }
        }

        return result;
    }

    /// utime + stime of the runtime's tiered-compilation thread (".NET Tiered Compilation Worker", cut to 15 characters
    /// by the kernel), which recompiles hot methods in the background: start-up work, not steady-state cost. The thread
    /// may end when idle and be started again, so a delta between two reads can miss a little; never more than it was.
    public static double TieringCpuMicroseconds(int pid)
    {
        long ticks = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered", StringComparison.Ordinal)
                        && ReadStat(task) is { } stat)
                    {
                        ticks += Ticks(stat);
                    }
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read.
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The process is gone.
        }

        return ticks * 1_000_000 / TicksPerSecond;
    }

    public static (long RssKb, int Threads) Memory(int pid)
    {
        long rss = 0;
        var threads = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process ended between two samples.
        }

        return (rss, threads);
    }

    private static string? ReadStat(int pid) => ReadStat($"/proc/{pid}");

    private static string? ReadStat(string directory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, "stat"));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
    private static long Ticks(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}

/// Samples a server's resident memory and thread count every 200 ms while a point runs.
internal sealed class ProcessSampler : IAsyncDisposable
{
    private readonly int pid;
    private readonly Func<int> openStreams;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public ProcessSampler(int pid, Func<int> openStreams)
    {
        this.pid = pid;
        this.openStreams = openStreams;
        loop = Run();
    }

    public long PeakRssKb { get; private set; }

    public int PeakThreads { get; private set; }

    public int MinThreads { get; private set; } = int.MaxValue;

    public int PeakOpenStreams { get; private set; }

    /// RSS when the most streams were open, with that count, for the memory per open stream.
    public long RssAtPeakOpenKb { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    private async Task Run()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        do
        {
            var (rss, threads) = ProcStats.Memory(pid);
            var open = openStreams();
            PeakRssKb = Math.Max(PeakRssKb, rss);
            if (threads > 0)
            {
                PeakThreads = Math.Max(PeakThreads, threads);
                MinThreads = Math.Min(MinThreads, threads);
            }

            if (open > PeakOpenStreams)
            {
                PeakOpenStreams = open;
                RssAtPeakOpenKb = rss;
            }
            else if (open == PeakOpenStreams)
            {
                RssAtPeakOpenKb = Math.Max(RssAtPeakOpenKb, rss);
            }
        }
        while (await Wait(timer));
    }

    private async Task<bool> Wait(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
