using System.ComponentModel.DataAnnotations;
using Arena.Modules.Providers.Mock;

namespace Arena.Modules.Providers.Domain;

internal enum ProviderKind
{
    Mock,
    OpenAI,
    Anthropic,
}

internal sealed class ProviderOptions
{
    [Required]
    public ProviderKind Kind { get; set; }

    public Uri? BaseUrl { get; set; }

    public string? ApiKey { get; set; }

    public MockOptions? Mock { get; set; }
}

internal sealed class ModelOptions
{
    public string? DisplayName { get; set; }

    [Required]
    public string Provider { get; set; } = "";

    public string? ProviderModel { get; set; }

    [Range(1, 1_000_000)]
    public int MaxOutputTokens { get; set; } = 1024;
}

/// Bound from <c>Arena</c>: providers and models are keyed by name so that environment variables can override one entry.
internal sealed class CatalogOptions
{
    public const string SectionName = "Arena";

    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, ModelOptions> Models { get; set; } = new(StringComparer.Ordinal);
}
