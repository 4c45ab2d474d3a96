using System.Globalization;

namespace Arena.Modules.Votes.Features.Leaderboard;

internal sealed record LeaderboardKey(bool LengthControl, DateOnly? Since)
{
    public static readonly LeaderboardKey[] Always = [new(false, null), new(true, null)];

    /// The stored keys of <see cref="Always"/>, which are never evicted and never count toward the stored start dates.
    public static readonly string[] AlwaysKeys = [.. Always.Select(k => k.ToString())];

    public override string ToString() =>
        (LengthControl ? "length" : "none") + "|" + (Since?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "*");

    public static LeaderboardKey Parse(string key)
    {
        var parts = key.Split('|');
        return new LeaderboardKey(parts[0] == "length", parts[1] == "*" ? null : DateOnly.ParseExact(parts[1], "yyyy-MM-dd", CultureInfo.InvariantCulture));
    }
}
