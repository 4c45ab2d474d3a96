using Arena.Modules.Sessions.Domain;

namespace Arena.Tests.Modules.Sessions;

public sealed class BattlePairingTests
{
    private static readonly BattleCandidate[] Catalog =
    [
        new("heavy", "p1", 4),
        new("middle", "p1", 2),
        new("light", "p2", 1),
        new("other", "p3", 1),
        new("excluded", "p2", 0),
    ];

    [Fact]
    public void Draw_TenThousandSeeds_MatchesWeightsAndNeverPairsAModelWithItself()
    {
        const int draws = 10_000;
        var appearances = Catalog.ToDictionary(c => c.Id, _ => 0);
        var firstSide = 0;
        for (var seed = 0; seed < draws; seed++)
        {
            var (a, b) = BattlePairing.Draw(Catalog, seed, distinctProviders: false)!.Value;
            Assert.NotEqual(a, b);
            appearances[a]++;
            appearances[b]++;
            firstSide += a == "heavy" ? 1 : 0;
        }

        Assert.Equal(0, appearances["excluded"]);
        foreach (var candidate in Catalog.Where(c => c.Weight > 0))
        {
            // 4 standard deviations of a share near 0.5 over 10,000 draws is 0.02.
            Assert.InRange(appearances[candidate.Id] / (double)draws, ExpectedShare(candidate) - 0.02, ExpectedShare(candidate) + 0.02);
        }

        // The side is a coin flip, independent of the weights.
        Assert.InRange(firstSide / (double)appearances["heavy"], 0.47, 0.53);
    }

    [Fact]
    public void Draw_SameSeed_DrawsTheSamePair()
    {
        Assert.Equal(BattlePairing.Draw(Catalog, 1234, false), BattlePairing.Draw(Catalog, 1234, false));
    }

    [Fact]
    public void Draw_DistinctProviders_NeverPairsOneProvider()
    {
        for (var seed = 0; seed < 2_000; seed++)
        {
            var (a, b) = BattlePairing.Draw(Catalog, seed, distinctProviders: true)!.Value;
            Assert.NotEqual(Catalog.Single(c => c.Id == a).Provider, Catalog.Single(c => c.Id == b).Provider);
        }
    }

    [Fact]
    public void Draw_FewerThanTwoEligible_DrawsNothing()
    {
        Assert.Null(BattlePairing.Draw([new("only", "p", 1), new("off", "p", 0)], 1, false));
        Assert.Null(BattlePairing.Draw([new("x", "p", 1), new("y", "p", 1)], 1, distinctProviders: true));
    }

    /// P(in pair) = P(first) + Σ over other first picks of P(first = j)·P(second = i | j).
    private static double ExpectedShare(BattleCandidate model)
    {
        var eligible = Catalog.Where(c => c.Weight > 0).ToList();
        var total = eligible.Sum(c => c.Weight);
        var share = model.Weight / total;
        foreach (var first in eligible.Where(c => c.Id != model.Id))
        {
            share += first.Weight / total * (model.Weight / (total - first.Weight));
        }

        return share;
    }
}
