using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Arena.Modules.Votes.Domain.Ratings;

/// Bradley–Terry by maximum likelihood with a ridge prior (a Gaussian of precision <see cref="Ridge"/> on each strength),
/// P(i beats j) = σ(β_i − β_j + γ·x). The prior keeps a model that never lost finite and, being centred on zero, fixes
/// the free shift of the strengths at mean zero. Two independent solvers: Newton's method (optionally with the
/// length coefficient γ) and the minorise–maximise iteration (without it).
internal static class BradleyTerry
{
    public const double Ridge = 0.01;

    // γ gets a prior too, so the Hessian stays invertible when every length difference is zero.
    private const double CovariateRidge = 1e-6;

    public sealed record Fit(double[] Strengths, double? LengthCoefficient);

    public static WeightedCell[] Weigh(IEnumerable<PairCell> cells) =>
        [.. cells.Select(c => new WeightedCell(c.I, c.J, c.LengthDifference, c.WinsA + (0.5 * c.Ties), c.WinsB + (0.5 * c.Ties)))];

    public static Fit Newton(int models, ReadOnlySpan<WeightedCell> cells, bool withCovariate, double[]? start = null, double tolerance = 1e-10)
    {
        var size = models + (withCovariate ? 1 : 0);
        var theta = new double[size];
        if (start is not null)
        {
            Array.Copy(start, theta, Math.Min(start.Length, size));
        }

        // Plain column-major arrays that MathNet wraps without copying: filling them directly costs a store per entry,
        // where the matrix's element indexer is a virtual, range-checked call, several per cell.
        var hessianStorage = new double[size * size];
        var gradientStorage = new double[size];
        var hessian = Matrix<double>.Build.Dense(size, size, hessianStorage);
        var gradient = Vector<double>.Build.Dense(gradientStorage);
        var next = new double[size];
        var current = Evaluate(theta, models, cells, withCovariate, gradientStorage, hessianStorage);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            var step = hessian.Cholesky().Solve(gradient);
            // The log-posterior is concave, so halving the step until it rises always ends; near the optimum (and from a
            // warm start) the full step is taken, and its evaluation already holds the next iteration's derivatives.
            var scale = 1.0;
            double candidate;
            while (true)
            {
                for (var k = 0; k < size; k++)
                {
                    next[k] = theta[k] + (scale * step[k]);
                }

                candidate = Evaluate(next, models, cells, withCovariate, gradientStorage, hessianStorage);
                // Relative slack: summed over a million votes the log-posterior carries rounding far above any absolute
                // 1e-12, and near the optimum that noise alone would send every step down the halving ladder.
                if (candidate >= current - (1e-10 * Math.Abs(current)) || scale <= 1e-6)
                {
                    break;
                }

                scale /= 2;
            }

            (theta, next) = (next, theta);
            current = candidate;
            if (step.AbsoluteMaximum() * scale < tolerance)
            {
                break;
            }
        }

        return new Fit(theta[..models], withCovariate ? theta[models] : null);
    }

    /// The fit to <paramref name="cells"/> from <paramref name="start"/>, stepping with a fixed <paramref name="curvature"/>
    /// (the factored Hessian at the full data's optimum) instead of one recomputed per step. A bootstrap resample's
    /// Hessian differs from the full data's by a few percent, so each step cuts the error by about that factor: a few
    /// gradient passes (no Hessian, no log-likelihood) replace Newton's heavier ones. Where a resample strays too far for
    /// that to converge, Newton's method takes over.
    public static Fit Refit(int models, ReadOnlySpan<WeightedCell> cells, bool withCovariate, double[] start, Cholesky<double> curvature, double tolerance)
    {
        var size = models + (withCovariate ? 1 : 0);
        var theta = (double[])start.Clone();
        var gradientStorage = new double[size];
        var gradient = Vector<double>.Build.Dense(gradientStorage);
        var step = Vector<double>.Build.Dense(size);
        var previous = double.PositiveInfinity;
        for (var iteration = 0; iteration < 50; iteration++)
        {
            Gradient(theta, models, cells, withCovariate, gradientStorage);
            curvature.Solve(gradient, step);
            var largest = step.AbsoluteMaximum();
            if (!double.IsFinite(largest) || largest > previous)
            {
                break;
            }

            for (var k = 0; k < size; k++)
            {
                theta[k] += step[k];
            }

            if (largest < tolerance)
            {
                return new Fit(theta[..models], withCovariate ? theta[models] : null);
            }

            previous = largest;
        }

        return Newton(models, cells, withCovariate, start, tolerance);
    }

    /// The Hessian of the negative log-posterior at <paramref name="theta"/>, factored once for <see cref="Refit"/>.
    public static Cholesky<double> CurvatureAt(int models, ReadOnlySpan<WeightedCell> cells, bool withCovariate, double[] theta)
    {
        var size = models + (withCovariate ? 1 : 0);
        var hessian = new double[size * size];
        Evaluate(theta, models, cells, withCovariate, new double[size], hessian);
        return Matrix<double>.Build.Dense(size, size, hessian).Cholesky();
    }

    // The gradient of the log-posterior alone: Refit's steps need nothing else.
    private static void Gradient(double[] theta, int models, ReadOnlySpan<WeightedCell> cells, bool withCovariate, double[] gradient)
    {
        for (var i = 0; i < models; i++)
        {
            gradient[i] = -Ridge * theta[i];
        }

        var gamma = 0.0;
        if (withCovariate)
        {
            gamma = theta[models];
            gradient[models] = -CovariateRidge * gamma;
        }

        var covariate = 0.0;
        foreach (ref readonly var cell in cells)
        {
            var z = theta[cell.I] - theta[cell.J] + (gamma * cell.X);
            var residual = cell.WinsI - ((cell.WinsI + cell.WinsJ) / (1 + Math.Exp(-z)));
            gradient[cell.I] += residual;
            gradient[cell.J] -= residual;
            covariate += residual * cell.X;
        }

        if (withCovariate)
        {
            gradient[models] += covariate;
        }
    }

    /// The log-posterior at <paramref name="theta"/>, with its gradient and Hessian of the negative written into the
    /// column-major <paramref name="hessian"/>, in one pass over the cells.
    private static double Evaluate(double[] theta, int models, ReadOnlySpan<WeightedCell> cells, bool withCovariate, double[] gradient, double[] hessian)
    {
        var size = gradient.Length;
        Array.Clear(hessian);
        var sum = 0.0;
        for (var i = 0; i < models; i++)
        {
            gradient[i] = -Ridge * theta[i];
            hessian[(i * size) + i] = Ridge;
            sum -= 0.5 * Ridge * theta[i] * theta[i];
        }

        var gamma = 0.0;
        if (withCovariate)
        {
            gamma = theta[models];
            gradient[models] = -CovariateRidge * gamma;
            hessian[(models * size) + models] = CovariateRidge;
            sum -= 0.5 * CovariateRidge * gamma * gamma;
        }

        foreach (ref readonly var cell in cells)
        {
            var n = cell.WinsI + cell.WinsJ;
            if (n <= 0)
            {
                continue;
            }

            var z = theta[cell.I] - theta[cell.J] + (gamma * cell.X);
            // One exponential serves the probability and both log-likelihood terms, stable for either sign of z.
            var e = Math.Exp(-Math.Abs(z));
            var softplus = double.LogP1(e);
            var p = z >= 0 ? 1 / (1 + e) : e / (1 + e);
            sum -= z >= 0
                ? (cell.WinsI * softplus) + (cell.WinsJ * (z + softplus))
                : (cell.WinsI * (softplus - z)) + (cell.WinsJ * softplus);
            var residual = cell.WinsI - (n * p);
            var weight = n * p * (1 - p);
            gradient[cell.I] += residual;
            gradient[cell.J] -= residual;
            hessian[(cell.I * size) + cell.I] += weight;
            hessian[(cell.J * size) + cell.J] += weight;
            hessian[(cell.I * size) + cell.J] -= weight;
            hessian[(cell.J * size) + cell.I] -= weight;
            if (withCovariate)
            {
                var cross = weight * cell.X;
                gradient[models] += residual * cell.X;
                hessian[(models * size) + models] += cross * cell.X;
                hessian[(cell.I * size) + models] += cross;
                hessian[(models * size) + cell.I] += cross;
                hessian[(cell.J * size) + models] -= cross;
                hessian[(models * size) + cell.J] -= cross;
            }
        }

        return sum;
    }
}
