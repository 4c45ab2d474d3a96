namespace Arena.Modules.Providers.Mock;

/// Bound from <c>Arena:Providers:&lt;name&gt;:Mock</c>. The failure settings apply to every prompt; the prompt markers
/// documented on <see cref="MockChatClient"/> apply to one.
internal sealed class MockOptions
{
    public int ChunkCount { get; set; } = 12;

    public TimeSpan ChunkInterval { get; set; } = TimeSpan.FromMilliseconds(40);

    public bool FailBeforeFirstChunk { get; set; }

    /// Fails after this many chunks; <c>null</c> never.
    public int? FailAfterChunks { get; set; }

    /// Stops sending (without ending) after this many chunks; <c>null</c> never.
    public int? StallAfterChunks { get; set; }
}
