namespace Arena.Modules.Providers.Streaming;

/// How a provider's event stream says it is complete.
internal enum SseEndMarker
{
    /// OpenAI and compatible servers: <c>data: [DONE]</c>.
    Done,

    /// Anthropic: <c>event: message_stop</c>.
    MessageStop,
}
