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

    /// Where the key comes from when <see cref="ApiKey"/> is empty, e.g. <c>OPENAI_API_KEY</c>.
    public string? ApiKeyEnvironmentVariable { get; set; }

    /// False for OpenAI-compatible servers that take no key (Ollama, vLLM, LM Studio): their models are listed
    /// without one and requests go out with no Authorization header. Only kind <c>openai</c> honours it.
    public bool RequiresApiKey { get; set; } = true;

    public MockOptions? Mock { get; set; }

    public TimeSpan FirstChunkTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// The longest <c>retry-after</c> / <c>retry-after-ms</c> a retry waits for; a provider asking for more gets no retry,
    /// because the user is better told "rate limited" now than kept waiting behind a silent stream.
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// Words in a reply that give away any model of this provider in a battle (its vendor's names).
    public List<string> IdentityWords { get; set; } = [];

    public string? ResolveApiKey()
    {
        if (!string.IsNullOrWhiteSpace(ApiKey))
        {
            return ApiKey;
        }

        return string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable) ? null : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
    }
}

internal sealed class ModelOptions
{
    public string? DisplayName { get; set; }

    [Required]
    public string Provider { get; set; } = "";

    public string? ProviderModel { get; set; }

    [Range(1, 1_000_000)]
    public int MaxOutputTokens { get; set; } = 1024;

    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    /// Relative chance of being drawn into a battle; 0 keeps the model out of battles.
    [Range(0, 1_000_000)]
    public double BattleWeight { get; set; } = 1;

    /// Words in a reply that give this model away in a battle; when empty, its id and display name.
    public List<string> IdentityWords { get; set; } = [];
}

/// Bound from <c>Arena</c>: providers and models are keyed by name so that environment variables can override one entry.
internal sealed class CatalogOptions
{
    public const string SectionName = "Arena";

    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, ModelOptions> Models { get; set; } = new(StringComparer.Ordinal);
}
