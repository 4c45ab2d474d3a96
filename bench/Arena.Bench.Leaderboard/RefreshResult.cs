namespace Arena.Bench.Leaderboard;

/// One leaderboard asked for and waited for: the refresher's own duration (from /metrics), the CPU the Host and the
/// bench database's PostgreSQL backends spent meanwhile, and what the reader saw.
internal sealed record RefreshResult(
    string Label,
    string Control,
    int Refreshes,
    double RefreshSeconds,
    double HostCpuSeconds,
    double PostgresCpuSeconds,
    double ReaderWaitSeconds,
    int? FirstRetryAfterSeconds,
    int Requests,
    long CountedVotes,
    int RatedModels,
    string Top)
{
    public override string ToString() =>
        $"{Label,-14} control={Control,-6} refresh={RefreshSeconds,6:F2}s host_cpu={HostCpuSeconds,6:F2}s postgres_cpu={PostgresCpuSeconds,5:F2}s "
        + $"reader_wait={ReaderWaitSeconds,6:F2}s retry_after={(FirstRetryAfterSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),2}s requests={Requests} "
        + $"votes={CountedVotes:N0} models={RatedModels} top={Top}" + (Refreshes == 1 ? "" : $" ({Refreshes} refreshes)");
}
