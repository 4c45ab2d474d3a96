using System.Text.Json;
using Arena.Tests.Clients;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Arena.Tests.Browser;

/// axe-core (pinned in tests/clients) run on a view as it stands, in Chromium here and in Firefox by firefox-walk.mjs;
/// both record an audit as <c>{ view, size, passes, violations: [{ id, impact, targets }] }</c>.
internal static class AxeAudit
{
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };

    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private static readonly string[] Blocking = ["serious", "critical"];

    private static readonly Lazy<string> Source = new(() => File.ReadAllText(Path.Combine(NodeClient.Folder, "node_modules", "axe-core", "axe.min.js")));

    private const string Run = """
        async ({ view, size }) => {
          const outcome = await window.axe.run(document, { resultTypes: ['violations'] });
          return {
            view, size, passes: outcome.passes.length,
            violations: outcome.violations.map(v => ({ id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' ')) })),
          };
        }
        """;

    /// Audits the view at the desktop and the phone size and leaves the page at the desktop size. The source is
    /// evaluated rather than added as a script tag, which the page's Content-Security-Policy would refuse.
    public static async Task<IReadOnlyList<JsonElement>> RunAsync(IPage page, string view)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            await page.EvaluateAsync($"() => {{ {Source.Value}\n}}");
        }

        var audits = new List<JsonElement>();
        foreach (var (size, viewport) in new[] { ("desktop", Desktop), ("phone", Phone) })
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
            audits.Add((await page.EvaluateAsync<JsonElement>(Run, new { view, size })).Clone());
        }

        await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
        return audits;
    }

    /// Writes every audit's figures, then fails with each serious or critical violation's id, impact and targets.
    public static void AssertNoSeriousViolations(IEnumerable<JsonElement> audits, ITestOutputHelper output)
    {
        var blocking = new List<string>();
        foreach (var audit in audits)
        {
            var violations = audit.GetProperty("violations").EnumerateArray().ToList();
            var byImpact = string.Join(", ", violations.GroupBy(v => v.GetProperty("impact").GetString()).Select(g => $"{g.Count()} {g.Key}"));
            output.WriteLine($"axe {audit.GetProperty("view")} {audit.GetProperty("size")}: {audit.GetProperty("passes")} passes, violations: {(byImpact.Length == 0 ? "none" : byImpact)} {(violations.Count == 0 ? "" : audit.GetProperty("violations").GetRawText())}");
            blocking.AddRange(violations
                .Where(v => Blocking.Contains(v.GetProperty("impact").GetString()))
                .Select(v => $"{audit.GetProperty("view")}/{audit.GetProperty("size")}: {v.GetProperty("id")} ({v.GetProperty("impact")}) at {v.GetProperty("targets")}"));
        }

        Assert.True(blocking.Count == 0, string.Join('\n', blocking));
    }
}
