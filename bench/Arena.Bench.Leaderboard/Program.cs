using System.Diagnostics;
using Arena.Modules.Votes.Domain.Ratings;

// Simulates 1,000,000 counted votes across 100 models, aggregates them into the cells the database's grouped query
// returns (pair, length bucket), then times a fresh leaderboard (fit + 200 bootstrap resamples) in process CPU seconds
// (user + system), without and with length control, several times: the machine is shared, so wall time says little.
const int models = 100;
const int votes = 1_000_000;
var repeats = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
var random = new Random(1);
var strengths = Enumerable.Range(0, models).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
var counts = new Dictionary<(int, int, int), (long A, long B, long T)>();
for (var v = 0; v < votes; v++)
{
    var i = random.Next(models);
    var j = random.Next(models - 1);
    j += j >= i ? 1 : 0;
    // Normalised output-length differences spread over [−1, 1], bucketed as the aggregate query buckets them.
    var difference = Math.Clamp((random.NextDouble() + random.NextDouble() - 1) * 1.2, -1, 1);
    var bucket = (int)Math.Round(difference / LeaderboardComputation.LengthBucketWidth, MidpointRounding.AwayFromZero);
    var p = 1 / (1 + Math.Exp(-(strengths[i] - strengths[j] + (0.3 * difference))));
    var u = random.NextDouble();
    var c = counts.GetValueOrDefault((i, j, bucket));
    counts[(i, j, bucket)] = u < 0.1 ? (c.A, c.B, c.T + 1) : u < 0.1 + (0.9 * p) ? (c.A + 1, c.B, c.T) : (c.A, c.B + 1, c.T);
}

var cells = counts.Select(c => new PairCell(c.Key.Item1, c.Key.Item2, c.Key.Item3 * LeaderboardComputation.LengthBucketWidth, c.Value.A, c.Value.B, c.Value.T)).ToList();
var names = Enumerable.Range(0, models).Select(i => $"model-{i:000}").ToArray();
Console.WriteLine($"{votes:N0} votes, {models} models, {cells.Count:N0} aggregated rows, 200 bootstrap resamples");
for (var run = 1; run <= repeats; run++)
{
    foreach (var lengthControl in new[] { false, true })
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var result = LeaderboardComputation.Compute(names, cells, lengthControl, resamples: 200, seed: 7);
        wall.Stop();
        process.Refresh();
        var used = (process.TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine($"run={run} control={(lengthControl ? "length" : "none"),-6} cpu={used:F2}s wall={wall.Elapsed.TotalSeconds:F2}s top={result.Models[0].Model} {result.Models[0].Rating:F1} [{result.Models[0].RatingLower:F1}, {result.Models[0].RatingUpper:F1}]"
            + (lengthControl ? $" length_coefficient={result.LengthCoefficient:F3} [{result.LengthCoefficientLower:F3}, {result.LengthCoefficientUpper:F3}]" : ""));
    }
}
