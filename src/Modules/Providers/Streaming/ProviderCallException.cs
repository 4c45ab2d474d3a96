namespace Arena.Modules.Providers.Streaming;

/// A provider call failed. The message is the original's, redacted; the original is kept in <see cref="Original"/>
/// rather than as the inner exception, because loggers print the inner chain and it holds the unredacted text.
internal sealed class ProviderCallException(Exception original, string? apiKey)
    : Exception(ProviderText.ForLogs($"{original.GetType().Name}: {original.Message}", apiKey))
{
    public Exception Original { get; } = original;
}
