using System.Text.RegularExpressions;

namespace Arena.Modules.Providers.Streaming;

/// Cleans text a provider (or an SDK, or the network stack) wrote before Arena repeats it. Providers echo key
/// fragments (OpenAI's 401 says <c>Incorrect API key provided: sk-proj-****abcd</c>) and transport errors name
/// internal hosts, so logs get the secrets masked and clients additionally get hosts and ports masked.
internal static partial class ProviderText
{
    public const string Redacted = "[redacted]";

    public static string ForLogs(string text, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            text = text.Replace(apiKey, Redacted, StringComparison.Ordinal);
        }

        text = SecretKey().Replace(text, Redacted);
        text = MaskedKey().Replace(text, Redacted);
        text = BearerValue().Replace(text, "$1" + Redacted);
        return KeyAssignment().Replace(text, "$1$2" + Redacted);
    }

    public static string ForClients(string text, string? apiKey)
    {
        text = ForLogs(text, apiKey);
        text = InternalUrl().Replace(text, Redacted);
        text = HostAndPort().Replace(text, Redacted);
        text = BareHostAndPort().Replace(text, Redacted);
        return IPv4Address().Replace(text, Redacted).Trim();
    }

    // sk-…, sk-proj-…, sk-ant-…, sk-or-…, gsk_… (Groq), xai-…, hf_…, AIza… (Google), including the masked forms with '*'.
    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:sk-|sk_|gsk_|xai-|hf_|AIza)[A-Za-z0-9_*\-]+")]
    private static partial Regex SecretKey();

    // Whatever a key's format, providers that echo it mask its middle ("abcd****wxyz"): the visible ends are fragments too.
    [GeneratedRegex(@"[A-Za-z0-9_\-.]*\*{2,}[A-Za-z0-9_\-.]*")]
    private static partial Regex MaskedKey();

    [GeneratedRegex(@"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=*\-]+")]
    private static partial Regex BearerValue();

    [GeneratedRegex(@"(?i)\b(x-api-key|api[-_]?key|authorization|token)(""?\s*[:=]\s*""?)[^\s""',;}]+")]
    private static partial Regex KeyAssignment();

    [GeneratedRegex(@"(?i)(?:\[[0-9a-f:.]+\]|\blocalhost|\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)+):\d{1,5}\b")]
    private static partial Regex HostAndPort();

    // A name without a dot is an internal host (vllm:8000, ollama:11434); public addresses always have one.
    [GeneratedRegex(@"(?i)\b[a-z][a-z0-9\-]*:\d{2,5}\b")]
    private static partial Regex BareHostAndPort();

    [GeneratedRegex(@"(?i)\bhttps?://[a-z0-9\-]+(?=[/:\s""')]|$)[^\s""'<>)]*")]
    private static partial Regex InternalUrl();

    [GeneratedRegex(@"\b(?:\d{1,3}\.){3}\d{1,3}\b")]
    private static partial Regex IPv4Address();
}
