using MathNet.Numerics.Distributions;

namespace Arena.Modules.Votes.Domain.Ratings;

internal sealed record RatedModel(
    string Model,
    double Rating,
    double RatingLower,
    double RatingUpper,
    int Rank,
    int RankUpperBound,
    long Votes,
    long Wins,
    long Ties,
    long Losses);

internal sealed record RatingResult(IReadOnlyList<RatedModel> Models, double? LengthCoefficient, double? LengthCoefficientLower, double? LengthCoefficientUpper);

/// Ratings, bootstrap intervals and ranks from aggregated pair counts.
internal static class LeaderboardComputation
{
    /// The Elo-like scale: 400 points are a factor of 10 in odds.
    public static double ToRating(double strength) => 1000 + (400 / Math.Log(10) * strength);

    public static RatingResult Compute(IReadOnlyList<string> models, IReadOnlyList<PairCell> cells, bool lengthControl, int resamples, int seed)
    {
        var m = models.Count;
        var source = lengthControl ? Standardise(cells) : Collapse(cells);
        var fit = BradleyTerry.Newton(m, BradleyTerry.Weigh(source), lengthControl);
        var start = lengthControl ? [.. fit.Strengths, fit.LengthCoefficient!.Value] : fit.Strengths;

        // Poisson bootstrap over battles: each battle is drawn Poisson(1) times, so a cell of c battles is drawn
        // Poisson(c) times; with thousands of battles it matches the multinomial bootstrap and needs no per-vote work.
        var random = new Random(seed);
        var samples = new double[m][];
        for (var i = 0; i < m; i++)
        {
            samples[i] = new double[resamples];
        }

        var gammas = new double[resamples];
        var resampled = new WeightedCell[source.Count];
        for (var r = 0; r < resamples; r++)
        {
            for (var c = 0; c < source.Count; c++)
            {
                var cell = source[c];
                var ties = Draw(random, cell.Ties);
                resampled[c] = new WeightedCell(cell.I, cell.J, cell.LengthDifference, Draw(random, cell.WinsA) + (0.5 * ties), Draw(random, cell.WinsB) + (0.5 * ties));
            }

            var bootstrap = BradleyTerry.Newton(m, resampled, lengthControl, start, tolerance: 1e-8);
            for (var i = 0; i < m; i++)
            {
                samples[i][r] = bootstrap.Strengths[i];
            }

            gammas[r] = bootstrap.LengthCoefficient ?? 0;
        }

        var tallies = Tally(m, cells);
        var rows = new List<(int Index, double Rating, double Lower, double Upper)>(m);
        for (var i = 0; i < m; i++)
        {
            Array.Sort(samples[i]);
            rows.Add((i, ToRating(fit.Strengths[i]), ToRating(Quantile(samples[i], 0.025)), ToRating(Quantile(samples[i], 0.975))));
        }

        var rated = rows
            .Select(row => new RatedModel(
                models[row.Index],
                row.Rating,
                row.Lower,
                row.Upper,
                1 + rows.Count(other => other.Rating > row.Rating),
                1 + rows.Count(other => other.Lower > row.Upper),
                tallies[row.Index].Wins + tallies[row.Index].Ties + tallies[row.Index].Losses,
                tallies[row.Index].Wins,
                tallies[row.Index].Ties,
                tallies[row.Index].Losses))
            .OrderBy(r => r.Rank).ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToList();
        if (!lengthControl)
        {
            return new RatingResult(rated, null, null, null);
        }

        Array.Sort(gammas);
        return new RatingResult(rated, fit.LengthCoefficient, Quantile(gammas, 0.025), Quantile(gammas, 0.975));
    }

    private static long Draw(Random random, long count) => count == 0 ? 0 : Poisson.Sample(random, count);

    /// Linear interpolation between order statistics (type 7, as NumPy's default).
    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    private static List<PairCell> Collapse(IReadOnlyList<PairCell> cells) =>
        [.. cells.GroupBy(c => (c.I, c.J)).Select(g => new PairCell(g.Key.I, g.Key.J, 0, g.Sum(c => c.WinsA), g.Sum(c => c.WinsB), g.Sum(c => c.Ties)))];

    /// The covariate in standard deviations of the normalised length difference over all votes, as LMArena's style
    /// control scales its features, so the coefficient reads the same whatever the spread of lengths.
    private static List<PairCell> Standardise(IReadOnlyList<PairCell> cells)
    {
        double total = 0, sum = 0, squares = 0;
        foreach (var cell in cells)
        {
            var n = cell.WinsA + cell.WinsB + cell.Ties;
            total += n;
            sum += n * cell.LengthDifference;
            squares += n * cell.LengthDifference * cell.LengthDifference;
        }

        var mean = total == 0 ? 0 : sum / total;
        var deviation = total == 0 ? 0 : Math.Sqrt(Math.Max(0, (squares / total) - (mean * mean)));
        var scale = deviation > 1e-12 ? deviation : 1;
        return [.. cells.Select(c => c with { LengthDifference = c.LengthDifference / scale })];
    }

    private static (long Wins, long Ties, long Losses)[] Tally(int models, IReadOnlyList<PairCell> cells)
    {
        var tallies = new (long Wins, long Ties, long Losses)[models];
        foreach (var cell in cells)
        {
            tallies[cell.I] = (tallies[cell.I].Wins + cell.WinsA, tallies[cell.I].Ties + cell.Ties, tallies[cell.I].Losses + cell.WinsB);
            tallies[cell.J] = (tallies[cell.J].Wins + cell.WinsB, tallies[cell.J].Ties + cell.Ties, tallies[cell.J].Losses + cell.WinsA);
        }

        return tallies;
    }
}
