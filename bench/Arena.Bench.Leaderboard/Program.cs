using System.Runtime.InteropServices;
using Arena.Bench;
using Arena.Bench.Leaderboard;

// Times leaderboard refreshes through the running Host over simulated counted votes; see bench/README.md.
var options = LeaderboardBenchOptions.Parse(args);
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => ServerProcess.KillAll());
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ServerProcess.KillAll());
return await new LeaderboardBench(options, Console.Out).RunAsync();
