using Arena.Modules.Votes.Domain.Ratings;

namespace Arena.Tests.Modules.Votes;

public sealed class BradleyTerryTests
{
    [Theory]
    [InlineData(3000, 1000, 0)]
    [InlineData(1000, 3000, 0)]
    [InlineData(2000, 1000, 1000)]
    public void Newton_TwoModels_MatchesTheClosedFormLogOdds(long wins, long losses, long ties)
    {
        var cells = BradleyTerry.Weigh([new PairCell(0, 1, 0, wins, losses, ties)]);

        var fit = BradleyTerry.Newton(2, cells, withCovariate: false);

        // Ties are half a win each, so the odds are (w + t/2) / (l + t/2); the ridge prior shifts the result by ~1e-5.
        var expected = Math.Log((wins + (ties / 2.0)) / (losses + (ties / 2.0)));
        Assert.Equal(expected, fit.Strengths[0] - fit.Strengths[1], 4);
        Assert.Equal(0, fit.Strengths[0] + fit.Strengths[1], 9);
    }

    [Fact]
    public void Solvers_SameData_AgreeToOneMillionth()
    {
        var random = new Random(7);
        const int models = 15;
        var cells = new List<PairCell>();
        for (var i = 0; i < models; i++)
        {
            for (var j = i + 1; j < models; j++)
            {
                if (random.NextDouble() < 0.3)
                {
                    continue;
                }

                // Model 0 never loses: only the prior keeps its strength finite.
                cells.Add(new PairCell(i, j, 0, random.Next(0, 40), i == 0 ? 0 : random.Next(0, 40), i == 0 ? 0 : random.Next(0, 5)));
            }
        }

        var weighted = BradleyTerry.Weigh(cells);
        var newton = BradleyTerry.Newton(models, weighted, withCovariate: false).Strengths;
        var mm = MinorizeMaximize(models, weighted);

        for (var i = 0; i < models; i++)
        {
            Assert.True(double.IsFinite(newton[i]));
            Assert.True(Math.Abs(newton[i] - mm[i]) < 1e-6, $"model {i}: Newton {newton[i]}, MM {mm[i]}");
        }

        Assert.Equal(newton.Max(), newton[0]);
    }

    [Fact]
    public void Compute_FiftyThousandSimulatedVotes_IntervalsHoldTheTrueStrengths()
    {
        // Ten independent arenas of 20 models and 50,000 votes each. A 95% interval misses its model one time in 20,
        // so a single arena of 20 falls short of 19 about a quarter of the time; over 200 intervals the share held is
        // 95% ± 1.5% (one standard deviation), and 92% is two standard deviations below it.
        const int models = 20;
        var names = Enumerable.Range(0, models).Select(i => $"m{i:00}").ToArray();
        var held = 0;
        for (var arena = 0; arena < 10; arena++)
        {
            var random = new Random(100 + arena);
            var truth = Enumerable.Range(0, models).Select(_ => (random.NextDouble() * 3) - 1.5).ToArray();
            var mean = truth.Average();
            var cells = Simulate(random, truth, 50_000, lengthEffect: 0);

            var result = LeaderboardComputation.Compute(names, cells, lengthControl: false, resamples: 200, seed: arena);

            held += result.Models.Count(row =>
            {
                var rating = LeaderboardComputation.ToRating(truth[Array.IndexOf(names, row.Model)] - mean);
                return row.RatingLower <= rating && rating <= row.RatingUpper;
            });
            Assert.Equal(50_000, result.Models.Sum(m => m.Votes) / 2);
            Assert.All(result.Models, row => Assert.InRange(row.RankUpperBound, 1, row.Rank));
        }

        Assert.True(held >= 0.92 * 10 * models, $"{held} of {10 * models} intervals hold the true rating");
    }

    [Fact]
    public void Compute_LengthControl_RecoversTheLengthCoefficient()
    {
        const int models = 8;
        var random = new Random(99);
        var truth = Enumerable.Range(0, models).Select(i => (i - 3.5) / 4).ToArray();
        var cells = Simulate(random, truth, 40_000, lengthEffect: 0.4);
        var names = Enumerable.Range(0, models).Select(i => $"m{i}").ToArray();

        var controlled = LeaderboardComputation.Compute(names, cells, lengthControl: true, resamples: 200, seed: 3);
        var plain = LeaderboardComputation.Compute(names, cells, lengthControl: false, resamples: 200, seed: 3);

        Assert.InRange(0.4, controlled.LengthCoefficientLower!.Value, controlled.LengthCoefficientUpper!.Value);
        Assert.Null(plain.LengthCoefficient);
        Assert.Equal(names.Reverse(), controlled.Models.Select(m => m.Model));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Refit_ResampledCounts_LandsWhereNewtonDoes(bool withCovariate)
    {
        const int models = 10;
        var random = new Random(5);
        var truth = Enumerable.Range(0, models).Select(i => (i - 4.5) / 3).ToArray();
        var full = BradleyTerry.Weigh(Simulate(random, truth, 20_000, lengthEffect: 0.3));
        var fit = BradleyTerry.Newton(models, full, withCovariate);
        double[] start = withCovariate ? [.. fit.Strengths, fit.LengthCoefficient!.Value] : fit.Strengths;
        var curvature = BradleyTerry.CurvatureAt(models, full, withCovariate, start);
        // A resample far from the full data: every count scaled by its own factor in [0.5, 1.5].
        var resampled = full.Select(c => c with { WinsI = c.WinsI * (0.5 + random.NextDouble()), WinsJ = c.WinsJ * (0.5 + random.NextDouble()) }).ToArray();

        var refit = BradleyTerry.Refit(models, resampled, withCovariate, start, curvature, tolerance: 1e-9);
        var newton = BradleyTerry.Newton(models, resampled, withCovariate, start, tolerance: 1e-12);

        for (var i = 0; i < models; i++)
        {
            Assert.True(Math.Abs(refit.Strengths[i] - newton.Strengths[i]) < 1e-7, $"model {i}: refit {refit.Strengths[i]}, Newton {newton.Strengths[i]}");
        }

        Assert.Equal(newton.LengthCoefficient ?? 0, refit.LengthCoefficient ?? 0, 7);
    }

    /// Votes between random pairs; the length difference (a − b)/(a + b) is uniform on [−0.5, 0.5], whose standard
    /// deviation is √(1/12), and moves the odds by <paramref name="lengthEffect"/> per standard deviation. Each vote is
    /// its own cell with its exact difference, so the fit's bucketing is part of what is tested.
    private static List<PairCell> Simulate(Random random, double[] strengths, int votes, double lengthEffect)
    {
        var cells = new List<PairCell>(votes);
        for (var v = 0; v < votes; v++)
        {
            var i = random.Next(strengths.Length);
            var j = random.Next(strengths.Length - 1);
            j += j >= i ? 1 : 0;
            var difference = random.NextDouble() - 0.5;
            var z = strengths[i] - strengths[j] + (lengthEffect * difference / Math.Sqrt(1.0 / 12));
            var aWins = random.NextDouble() < 1 / (1 + Math.Exp(-z));
            cells.Add(new PairCell(i, j, difference, aWins ? 1 : 0, aWins ? 0 : 1, 0));
        }

        return cells;
    }

    // A second solver, independent of the production Newton one, to check it against.
    /// Hunter's MM iteration (2004) with the ridge prior folded in: log(πi+πj) is majorised by its tangent, which
    /// separates the models, and each model's surrogate W·u − c·eᵘ − ½λu² is maximised by a one-dimensional Newton solve.
    private static double[] MinorizeMaximize(int models, IReadOnlyList<WeightedCell> cells, double tolerance = 1e-12, int maxIterations = 200_000)
    {
        var beta = new double[models];
        var wins = new double[models];
        foreach (var cell in cells)
        {
            wins[cell.I] += cell.WinsI;
            wins[cell.J] += cell.WinsJ;
        }

        var pull = new double[models];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            Array.Clear(pull);
            foreach (var cell in cells)
            {
                var n = cell.WinsI + cell.WinsJ;
                var share = n / (Math.Exp(beta[cell.I]) + Math.Exp(beta[cell.J]));
                pull[cell.I] += share;
                pull[cell.J] += share;
            }

            var change = 0.0;
            for (var i = 0; i < models; i++)
            {
                var next = SolveSurrogate(wins[i], pull[i], beta[i]);
                change = Math.Max(change, Math.Abs(next - beta[i]));
                beta[i] = next;
            }

            if (change < tolerance)
            {
                break;
            }
        }

        return beta;
    }

    // Root of W − c·eᵘ − λu = 0: the left side is concave and falls strictly in u, so Newton's iterates, once past the
    // root, approach it from above without overshooting.
    private static double SolveSurrogate(double wins, double pull, double u)
    {
        for (var k = 0; k < 100; k++)
        {
            var e = pull * Math.Exp(u);
            var f = wins - e - (BradleyTerry.Ridge * u);
            // Far below the root the slope is tiny; a bounded step keeps eᵘ from overflowing on the way.
            var step = Math.Clamp(f / (e + BradleyTerry.Ridge), -1, 1);
            u += step;
            if (Math.Abs(step) < 1e-15)
            {
                break;
            }
        }

        return u;
    }
}
