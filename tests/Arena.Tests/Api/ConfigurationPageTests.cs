using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Arena.BuildingBlocks.Limits;
using Arena.Modules.Messaging;
using Arena.Modules.Sessions;
using Arena.Modules.Votes;
using Arena.Tests.Support;

namespace Arena.Tests.Api;

/// docs/configuration.md is the list of settings an operator reads: every setting an options class binds must be on it,
/// with the default the class has, and every setting it names under a bound section must exist.
public sealed partial class ConfigurationPageTests
{
    private static readonly Assembly[] Assemblies = [typeof(Program).Assembly, typeof(UserLimitOptions).Assembly, typeof(SessionsModule).Assembly, typeof(MessagingModule).Assembly, typeof(VotesModule).Assembly];

    [Fact]
    public void ConfigurationPage_ListsEverySettingWithItsDefault()
    {
        var page = Rows();
        var settings = Settings();
        Assert.True(settings.Count >= 30, $"only {settings.Count} settings found");

        var missing = settings.Keys.Where(key => !page.ContainsKey(key)).Order().ToList();
        Assert.True(missing.Count == 0, "not on docs/configuration.md: " + string.Join(", ", missing));
        var wrong = settings
            .Where(s => s.Value is not null && page[s.Key] is { } documented && documented != s.Value)
            .Select(s => $"{s.Key}: the page says {page[s.Key]}, the code {s.Value}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void ConfigurationPage_NamesNoSettingTheCodeDoesNotBind()
    {
        var settings = Settings();
        var sections = settings.Keys.Select(k => k[..k.LastIndexOf(':')]).ToHashSet();

        var unknown = Rows().Keys
            .Where(key => key.Contains(':', StringComparison.Ordinal) && sections.Contains(key[..key.LastIndexOf(':')]) && !settings.ContainsKey(key))
            .ToList();

        Assert.True(unknown.Count == 0, "on docs/configuration.md but bound by no options class: " + string.Join(", ", unknown));
    }

    /// Each documented key with the default its row gives, when the row gives one per key (<c>`a` / `b`</c> for
    /// <c>`X:A` / `B`</c>); null where the row describes the default in words.
    private static Dictionary<string, string?> Rows()
    {
        var rows = new Dictionary<string, string?>();
        foreach (var line in File.ReadLines(Path.Combine(Checkout.Root, "docs", "configuration.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            var keys = cells[1].Split(" / ").Select(k => k.Trim('`')).ToList();
            for (var i = 1; i < keys.Count; i++)
            {
                // "`Arena:Messaging:StreamHostHeartbeat` / `StreamHostLease`": the later ones share the first one's section.
                if (!keys[i].Contains(':', StringComparison.Ordinal))
                {
                    keys[i] = keys[0][..(keys[0].LastIndexOf(':') + 1)] + keys[i];
                }
            }

            var defaults = Backticked().Matches(cells[2]).Select(m => m.Groups[1].Value).ToList();
            for (var i = 0; i < keys.Count; i++)
            {
                rows[keys[i]] = defaults.Count == keys.Count && cells[2].Trim().StartsWith('`') ? defaults[i] : null;
            }
        }

        return rows;
    }

    /// Every scalar setting an options class binds, by its full key, with its default as the page writes it (null for
    /// a default that has no one spelling: a list, an unset value).
    private static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>();
        foreach (var type in Assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsClass && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null))
        {
            var section = type.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral && f.Name is "Section" or "SectionName")
                .Select(f => (string)f.GetRawConstantValue()!)
                .FirstOrDefault(s => s.StartsWith("Arena:", StringComparison.Ordinal));
            if (section is not null)
            {
                Collect(section, Activator.CreateInstance(type)!, settings);
            }
        }

        return settings;
    }

    private static void Collect(string prefix, object options, Dictionary<string, string?> settings)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var key = $"{prefix}:{property.Name}";
            var value = property.GetValue(options);
            if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal))
            {
                settings[key] = Spell(value);
            }
            else if (typeof(IEnumerable).IsAssignableFrom(type))
            {
                settings[key] = null;
            }
            else if (value is not null)
            {
                Collect(key, value, settings);
            }
        }
    }

    private static string? Spell(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        Enum e => e.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex Backticked();
}
