using Microsoft.Playwright;

namespace Arena.Tests.Browser;

/// What the browser tests wait for and do on the page, shared by the test classes.
internal static class PageSteps
{
    /// True at one instant when the newest turn has `columns` columns, each showing at least `least` characters of its
    /// answer, and none has finished yet. Takes <c>new { columns, least }</c>.
    public const string ColumnsMidAnswer = """
        ({ columns: count, least }) => {
          const columns = [...document.querySelectorAll('.turn:last-child .reply')];
          return columns.length === count && columns.every(c => c.dataset.state === 'streaming' && c.querySelector('.markdown').textContent.length >= least);
        }
        """;

    /// <see cref="ColumnsMidAnswer"/> for the two columns of a battle or a two-model compare. Takes `least`.
    public const string BothColumnsMidAnswer = $"least => ({ColumnsMidAnswer})({{ columns: 2, least }})";

    public const string AllColumnsSettled = """
        turns => {
          const columns = [...document.querySelectorAll('.turn .reply')];
          return document.querySelectorAll('.turn').length === turns && columns.length > 0
            && columns.every(c => !['waiting', 'streaming'].includes(c.dataset.state));
        }
        """;

    public static readonly PageWaitForFunctionOptions Patiently = new() { Timeout = 60_000 };

    /// Signs in by name; the page then opens on its default view, a new battle.
    public static async Task SignInByNameAsync(IPage page, string name)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("Your name").FillAsync(name);
        await page.GetByLabel("Your name").PressAsync("Enter");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Battle", Exact = true }).WaitForAsync();
        Assert.Equal(name, await page.Locator("#account-name").InnerTextAsync());
    }

    public static async Task OpenCompareAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Compare" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "New chat" }).WaitForAsync();
    }

    /// Opens Compare and sends a turn to Mock Swift and Mock Sage, the pair the compare tests follow.
    public static async Task StartCompareTurnAsync(IPage page, string prompt)
    {
        await OpenCompareAsync(page);
        await page.Locator("#model-a").SelectOptionAsync("mock-swift");
        await page.Locator("#model-b").SelectOptionAsync("mock-sage");
        await page.Locator("#prompt").FillAsync(prompt);
        await page.Locator("#prompt").PressAsync("Enter");
    }

    public static async Task<string[]> StatesAsync(ILocator columns) =>
        [.. await columns.EvaluateAllAsync<string[]>("columns => columns.map(c => c.dataset.state)")];

    public static Task<string> ActiveIdAsync(IPage page) => page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''");
}
