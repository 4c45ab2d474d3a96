using System.Text.Json;

namespace Arena.Tests.Support.FakeUpstreams;

/// A request a fake server received; <see cref="ClientGone"/> completes when the client closes the connection.
public sealed class RecordedRequest(string method, string path, IReadOnlyDictionary<string, string> headers, string body)
{
    private readonly TaskCompletionSource clientGone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Method { get; } = method;

    public string Path { get; } = path;

    public IReadOnlyDictionary<string, string> Headers { get; } = headers;

    public string Body { get; } = body;

    /// Completes when the client aborted the request before the scripted response ended.
    public Task ClientGone => clientGone.Task;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    internal void MarkClientGone() => clientGone.TrySetResult();
}
