namespace Arena.Modules.Providers.Domain;

/// Lets the OpenAI client talk to a compatible server that takes no key (Ollama, vLLM, LM Studio). The SDK refuses
/// an empty credential, and the constructors that take no credential are marked experimental (OPENAI001), so the
/// client gets <see cref="Placeholder"/> and this handler, the last one before the socket, drops the
/// <c>Authorization</c> header it produces: no fake credential reaches the wire.
internal sealed class KeylessHandler : DelegatingHandler
{
    public const string Placeholder = "arena-keyless";

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = null;
        return base.Send(request, cancellationToken);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = null;
        return base.SendAsync(request, cancellationToken);
    }
}
