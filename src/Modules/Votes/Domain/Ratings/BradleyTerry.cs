using MathNet.Numerics.LinearAlgebra;

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

    public static Fit Newton(int models, IReadOnlyList<WeightedCell> cells, bool withCovariate, double[]? start = null, double tolerance = 1e-10)
    {
        var size = models + (withCovariate ? 1 : 0);
        var theta = new double[size];
        if (start is not null)
        {
            Array.Copy(start, theta, Math.Min(start.Length, size));
        }

        var hessian = Matrix<double>.Build.Dense(size, size);
        var gradient = Vector<double>.Build.Dense(size);
        var current = LogPosterior(theta, models, cells, withCovariate);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            hessian.Clear();
            gradient.Clear();
            for (var i = 0; i < models; i++)
            {
                gradient[i] = -Ridge * theta[i];
                hessian[i, i] = Ridge;
            }

            if (withCovariate)
            {
                gradient[models] = -CovariateRidge * theta[models];
                hessian[models, models] = CovariateRidge;
            }

            foreach (var cell in cells)
            {
                var n = cell.WinsI + cell.WinsJ;
                if (n <= 0)
                {
                    continue;
                }

                var z = theta[cell.I] - theta[cell.J] + (withCovariate ? theta[models] * cell.X : 0);
                var p = Sigmoid(z);
                var residual = cell.WinsI - (n * p);
                var weight = n * p * (1 - p);
                gradient[cell.I] += residual;
                gradient[cell.J] -= residual;
                hessian[cell.I, cell.I] += weight;
                hessian[cell.J, cell.J] += weight;
                hessian[cell.I, cell.J] -= weight;
                hessian[cell.J, cell.I] -= weight;
                if (withCovariate)
                {
                    gradient[models] += residual * cell.X;
                    hessian[models, models] += weight * cell.X * cell.X;
                    hessian[cell.I, models] += weight * cell.X;
                    hessian[models, cell.I] += weight * cell.X;
                    hessian[cell.J, models] -= weight * cell.X;
                    hessian[models, cell.J] -= weight * cell.X;
                }
            }

            var step = hessian.Cholesky().Solve(gradient);
            // The log-posterior is concave, so halving the step until it rises always ends; from zero it rarely triggers.
            var scale = 1.0;
            double[] next;
            double candidate;
            do
            {
                next = [.. theta.Select((t, k) => t + (scale * step[k]))];
                candidate = LogPosterior(next, models, cells, withCovariate);
                scale /= 2;
            }
            while (candidate < current - 1e-12 && scale > 1e-6);

            theta = next;
            current = candidate;
            if (step.AbsoluteMaximum() * scale * 2 < tolerance)
            {
                break;
            }
        }

        return new Fit(theta[..models], withCovariate ? theta[models] : null);
    }

    /// Hunter's MM iteration (2004) with the ridge prior folded in: log(πi+πj) is majorised by its tangent, which
    /// separates the models, and each model's surrogate W·u − c·eᵘ − ½λu² is maximised by a one-dimensional Newton solve.
    public static double[] MinorizeMaximize(int models, IReadOnlyList<WeightedCell> cells, double tolerance = 1e-12, int maxIterations = 200_000)
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

    public static double LogPosterior(double[] theta, int models, IReadOnlyList<WeightedCell> cells, bool withCovariate)
    {
        var sum = 0.0;
        for (var i = 0; i < models; i++)
        {
            sum -= 0.5 * Ridge * theta[i] * theta[i];
        }

        if (withCovariate)
        {
            sum -= 0.5 * CovariateRidge * theta[models] * theta[models];
        }

        foreach (var cell in cells)
        {
            var z = theta[cell.I] - theta[cell.J] + (withCovariate ? theta[models] * cell.X : 0);
            sum -= (cell.WinsI * Softplus(-z)) + (cell.WinsJ * Softplus(z));
        }

        return sum;
    }

    // Root of W − c·eᵘ − λu = 0: the left side is concave and falls strictly in u, so Newton's iterates, once past the
    // root, approach it from above without overshooting.
    private static double SolveSurrogate(double wins, double pull, double u)
    {
        for (var k = 0; k < 100; k++)
        {
            var e = pull * Math.Exp(u);
            var f = wins - e - (Ridge * u);
            // Far below the root the slope is tiny; a bounded step keeps eᵘ from overflowing on the way.
            var step = Math.Clamp(f / (e + Ridge), -1, 1);
            u += step;
            if (Math.Abs(step) < 1e-15)
            {
                break;
            }
        }

        return u;
    }

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    private static double Softplus(double z) => z > 0 ? z + double.LogP1(Math.Exp(-z)) : double.LogP1(Math.Exp(z));
}
