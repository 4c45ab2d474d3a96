namespace Arena.Bench;

/// One measured point: a path at one concurrency, with the servers fresh. Per-stream database figures are null
/// for the relay, which has no database.
internal sealed record PointResult
{
    public required string Scenario { get; init; }

    public required string Path { get; init; }

    public required int Concurrency { get; init; }

    public required double WindowSeconds { get; init; }

    public required int Streams { get; init; }

    public required int Errors { get; init; }

    public required int Unfinished { get; init; }

    public required string[] ErrorSamples { get; init; }

    public required double TtfeP50Ms { get; init; }

    public required double TtfeP99Ms { get; init; }

    public required double TotalP50Ms { get; init; }

    public required double TotalP99Ms { get; init; }

    public required double EventsPerStream { get; init; }

    public required double EventsPerSecond { get; init; }

    public required double ServerCores { get; init; }

    public required double ServerCpuUsPerEvent { get; init; }

    /// Share of the server's CPU in the window spent by the runtime's background recompilation (start-up work).
    public required double ServerTieringPercent { get; init; }

    public required double PostgresCores { get; init; }

    public required double PostgresCpuUsPerEvent { get; init; }

    public required double PostgresCpuMsPerStream { get; init; }

    /// Only the backends serving the bench database, so that other clients of a shared server do not count.
    public required double PostgresBenchBackendsCpuMsPerStream { get; init; }

    public required double LoadGeneratorCpuUsPerEvent { get; init; }

    public required double RssBaselineMb { get; init; }

    public required double RssPeakMb { get; init; }

    public required int PeakOpenStreams { get; init; }

    public required double RssKbPerOpenStream { get; init; }

    public required int ThreadsMin { get; init; }

    public required int ThreadsPeak { get; init; }

    public required DatabasePerStream? Database { get; init; }

    public bool Failed => Errors > 0 || Unfinished > 0;
}

/// pg_stat_database deltas over the server's whole life in the point, divided by every stream it served (warm-up
/// included); they also carry its start-up checks and one session insert per client.
internal sealed record DatabasePerStream(double Commits, double Rollbacks, double Inserted, double Updated, double Deleted, double Returned);

/// Issue 34: server CPU per delivered event of four-model compare turns against two-model ones and against the relay
/// merging four upstreams, from the sweep points of one run at one concurrency, so that every ratio shares whatever else
/// the machine did meanwhile. Null where a path did not run at that concurrency.
internal sealed record FourParticipantsResult(int Concurrency, double? RelayUs, double? Relay4Us, double? GatewayUs, double? Gateway4Us)
{
    public double? Gateway4VsGateway => Ratio(Gateway4Us, GatewayUs);

    public double? Gateway4VsRelay4 => Ratio(Gateway4Us, Relay4Us);

    public double? GatewayVsRelay => Ratio(GatewayUs, RelayUs);

    public double? Relay4VsRelay => Ratio(Relay4Us, RelayUs);

    private static double? Ratio(double? measured, double? reference) =>
        measured is { } m && reference is > 0 ? Math.Round(m / reference.Value, 2) : null;
}

internal sealed record TargetResult(string Target, string Goal, string Measured, bool? Met);

internal sealed record BenchReport(
    DateTimeOffset StartedAt,
    string Machine,
    string Commit,
    BenchOptions Options,
    List<PointResult> Points,
    Dictionary<string, int?> Knees,
    List<TargetResult> Targets,
    List<FourParticipantsResult> FourParticipants,
    List<LimitsResult> Limits);
