using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arena.Host.Defaults;

/// What a reader of the document meets first: its name, its licence, what each tag groups, and the server's address
/// written the way clients join paths to it.
internal sealed class ApiDocumentInfo : IOpenApiDocumentTransformer
{
    public static readonly IReadOnlyDictionary<string, string> TagDescriptions = new Dictionary<string, string>
    {
        ["Catalog"] = "The models a session can use, without their providers' secrets.",
        ["Sessions"] = "Chat sessions of the signed-in user: direct, compare and battle, paged by activity.",
        ["Messages"] = "Streaming a turn, resuming or stopping it, and reading the stored messages.",
        ["Votes"] = "Votes on battle and compare sessions, and their export for offline ranking.",
        ["Leaderboard"] = "Bradley–Terry ratings computed from the counted votes.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info ??= new OpenApiInfo();
        document.Info.Title = "Arena";
        document.Info.Description = "Compare language models side by side: sessions, streamed replies, votes and a leaderboard.";
        // No licence is granted: UNLICENSED is the same statement tests/clients/package.json makes to npm.
        document.Info.License = new OpenApiLicense { Name = "UNLICENSED" };

        // The paths all begin with a slash; a server address ending in one makes clients that join them ask for `//api`.
        foreach (var server in document.Servers ?? [])
        {
            if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
            {
                server.Url = url.TrimEnd('/');
            }
        }

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }

        return Task.CompletedTask;
    }
}
