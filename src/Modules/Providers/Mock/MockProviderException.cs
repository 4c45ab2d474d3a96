using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Providers.Mock;

/// A failure the mock was told to produce, carrying the code the stream should report.
internal sealed class MockProviderException(CompletionErrorCode code, string message) : Exception(message)
{
    public CompletionErrorCode Code { get; } = code;
}
