namespace Arena.Modules.Sessions.Domain;

internal sealed record BattleCandidate(string Id, string Provider, double Weight);

/// The battle draw: the first model by weight, the second by weight among the rest, then a coin decides the sides.
internal static class BattlePairing
{
    public static (string A, string B)? Draw(IReadOnlyList<BattleCandidate> candidates, int seed, bool distinctProviders)
    {
        var random = new Random(seed);
        var eligible = candidates.Where(c => c.Weight > 0 && double.IsFinite(c.Weight)).ToList();
        var first = Pick(eligible, random);
        if (first is null)
        {
            return null;
        }

        var others = eligible.Where(c => c.Id != first.Id && (!distinctProviders || !string.Equals(c.Provider, first.Provider, StringComparison.OrdinalIgnoreCase))).ToList();
        var second = Pick(others, random);
        if (second is null)
        {
            return null;
        }

        return random.Next(2) == 0 ? (first.Id, second.Id) : (second.Id, first.Id);
    }

    private static BattleCandidate? Pick(List<BattleCandidate> candidates, Random random)
    {
        var total = candidates.Sum(c => c.Weight);
        if (candidates.Count == 0 || total <= 0)
        {
            return null;
        }

        var target = random.NextDouble() * total;
        foreach (var candidate in candidates)
        {
            target -= candidate.Weight;
            if (target < 0)
            {
                return candidate;
            }
        }

        // Rounding can leave a sliver past the last weight.
        return candidates[^1];
    }
}
