namespace Arena.Tests.Support;

/// The checkout the tests were built from, found from the test assembly's folder rather than the working directory,
/// which the runner chooses.
internal static class Checkout
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Arena.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Arena.sln not found above the test assembly.");
    }
}
