using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;

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

    /// Width of a length bucket of the normalised difference (a − b)/(a + b) ∈ [−1, 1]: 11 buckets centred on
    /// −1, −0.8, …, 1. Each vote's covariate is its bucket's centre (off by at most 0.1), so the cells of a pair stay at
    /// most 11 whatever the number of votes.
    public const double LengthBucketWidth = 0.2;

    public static RatingResult Compute(IReadOnlyList<string> models, IReadOnlyList<PairCell> cells, bool lengthControl, int resamples, int seed)
    {
        var m = models.Count;
        var source = Canonicalise(cells, lengthControl);
        var weighted = BradleyTerry.Weigh(source);
        var fit = BradleyTerry.Newton(m, weighted, lengthControl);
        double[] start = lengthControl ? [.. fit.Strengths, fit.LengthCoefficient!.Value] : fit.Strengths;
        var curvature = BradleyTerry.CurvatureAt(m, weighted, lengthControl, start);

        // Poisson bootstrap over battles: each battle is drawn Poisson(1) times, so a cell of c battles is drawn
        // Poisson(c) times; with thousands of battles it matches the multinomial bootstrap and needs no per-vote work.
        var random = new Xoshiro256StarStar(seed, threadSafe: false);
        var samples = new double[m][];
        for (var i = 0; i < m; i++)
        {
            samples[i] = new double[resamples];
        }

        var gammas = new double[resamples];
        var resampled = new WeightedCell[source.Length];
        for (var r = 0; r < resamples; r++)
        {
            for (var c = 0; c < source.Length; c++)
            {
                var cell = source[c];
                var ties = Draw(random, cell.Ties);
                resampled[c] = new WeightedCell(cell.I, cell.J, cell.LengthDifference, Draw(random, cell.WinsA) + (0.5 * ties), Draw(random, cell.WinsB) + (0.5 * ties));
            }

            // Started from the full-data estimate, a resample's fit is a few Newton steps away; 1e-6 in a strength is
            // far below the spread of the resamples (about 1e-2 even at a million votes).
            var bootstrap = BradleyTerry.Refit(m, resampled, lengthControl, start, curvature, tolerance: 1e-6);
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

    private const int SmallMean = 30;

    private static readonly double[] ExpMinus = [.. Enumerable.Range(0, SmallMean).Select(k => Math.Exp(-k))];

    /// Poisson(count). Below <see cref="SmallMean"/> by inversion: one uniform and about count multiplications, where
    /// MathNet's small-mean sampler draws one uniform per unit of the mean (as many as the votes in the cell); above,
    /// MathNet's rejection sampler, whose cost does not grow with the mean.
    private static long Draw(Random random, long count)
    {
        if (count == 0)
        {
            return 0;
        }

        if (count >= SmallMean)
        {
            return Poisson.Sample(random, count);
        }

        var u = random.NextDouble();
        var probability = ExpMinus[count];
        var cumulative = probability;
        var k = 0L;
        // The bound only guards against the cumulative sum stopping a rounding error short of 1.
        while (u > cumulative && k < 10 * SmallMean)
        {
            k++;
            probability *= count / (double)k;
            cumulative += probability;
        }

        return k;
    }

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

    /// One cell per unordered pair and length bucket: a vote between i (side a) and j is the same evidence as one between
    /// j (side a) and i with the length difference negated and the outcome mirrored, so both orders share a cell. With
    /// length control the covariate is the bucket's centre in standard deviations of the normalised length difference
    /// over all votes, as LMArena's style control scales its features, so the coefficient reads the same whatever the
    /// spread of lengths; without it every pair is one cell.
    private static PairCell[] Canonicalise(IReadOnlyList<PairCell> cells, bool lengthControl)
    {
        var scale = lengthControl ? Deviation(cells) : 1;
        var merged = new Dictionary<(int Low, int High, int Bucket), (long WinsLow, long WinsHigh, long Ties)>();
        foreach (var cell in cells)
        {
            var flip = cell.I > cell.J;
            var difference = flip ? -cell.LengthDifference : cell.LengthDifference;
            var bucket = lengthControl ? (int)Math.Round(difference / LengthBucketWidth, MidpointRounding.AwayFromZero) : 0;
            var key = flip ? (cell.J, cell.I, bucket) : (cell.I, cell.J, bucket);
            var sum = merged.GetValueOrDefault(key);
            merged[key] = flip
                ? (sum.WinsLow + cell.WinsB, sum.WinsHigh + cell.WinsA, sum.Ties + cell.Ties)
                : (sum.WinsLow + cell.WinsA, sum.WinsHigh + cell.WinsB, sum.Ties + cell.Ties);
        }

        return [.. merged.Select(c => new PairCell(c.Key.Low, c.Key.High, c.Key.Bucket * LengthBucketWidth / scale, c.Value.WinsLow, c.Value.WinsHigh, c.Value.Ties))];
    }

    private static double Deviation(IReadOnlyList<PairCell> cells)
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
        return deviation > 1e-12 ? deviation : 1;
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
