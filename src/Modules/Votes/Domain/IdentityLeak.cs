using System.Text.RegularExpressions;

namespace Arena.Modules.Votes.Domain;

/// Words that give a battle's model away when a reply contains them.
internal static class IdentityLeak
{
    private static readonly Dictionary<string, string[]> VendorDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = ["OpenAI", "ChatGPT", "GPT"],
        ["anthropic"] = ["Anthropic", "Claude"],
    };

    /// The configured words when there are any, else the model's own names; the vendor's defaults always apply.
    public static IReadOnlyList<string> WordsFor(string modelId, string displayName, string? providerKind, IReadOnlyList<string>? configured)
    {
        var words = new List<string>();
        if (configured is { Count: > 0 })
        {
            words.AddRange(configured);
        }
        else
        {
            words.Add(modelId);
            words.Add(displayName);
        }

        if (providerKind is not null && VendorDefaults.TryGetValue(providerKind, out var vendor))
        {
            words.AddRange(vendor);
        }

        return [.. words.Where(w => !string.IsNullOrWhiteSpace(w)).Select(w => w.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// Case-insensitive, on word boundaries: a letter, digit or underscore next to the match means another word ("Claudette").
    public static bool Contains(string text, IReadOnlyList<string> words)
    {
        if (words.Count == 0 || text.Length == 0)
        {
            return false;
        }

        var pattern = @"(?<![\p{L}\p{N}_])(?:" + string.Join('|', words.OrderByDescending(w => w.Length).Select(Regex.Escape)) + @")(?![\p{L}\p{N}_])";
        return Regex.IsMatch(text, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
