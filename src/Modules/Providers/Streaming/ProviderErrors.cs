using System.ClientModel;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Mock;

namespace Arena.Modules.Providers.Streaming;

/// A provider failure in Arena's taxonomy, and whether sending the request again may help. <see cref="Message"/> is
/// what end users see (and what is stored); <see cref="Detail"/> is the provider or transport text for the logs and the trace,
/// with keys and internal hosts masked as for clients: those logs are read at Warning, where hosts do not belong.
internal readonly record struct ProviderError(CompletionErrorCode Code, string Message, bool Retryable, string? Detail = null);

/// Maps what the SDKs throw (and what the wire observer saw) to <see cref="ProviderError"/>. Users always get a fixed
/// text per code: provider text names organization ids (OpenAI's 429), key fragments (its 401) and internal hosts, and
/// no pattern list catches every such thing. The provider's own text, redacted, goes only to the log and the trace.
internal static class ProviderErrors
{
    public const string UnauthorizedMessage = "The provider rejected Arena's credentials for this model; an operator needs to check its API key.";
    public const string UnavailableMessage = "The provider could not be reached or is unavailable right now; please try again later.";
    public const string TimeoutMessage = "The provider timed out before answering; please try again.";
    public const string TruncatedMessage = "The provider's stream broke off before its end marker.";
    public const string UnknownMessage = "The provider failed unexpectedly.";
    public const string BadRequestMessage = "The provider refused the request.";
    public const string RateLimitedMessage = "The provider is rate limiting requests; please try again shortly.";

    public static ProviderError Classify(Exception exception, bool streamStarted, string? apiKey)
    {
        switch (exception)
        {
            case MockProviderException mock:
                // The mock's texts are Arena's own, written for the demo.
                return new ProviderError(mock.Code, mock.Message, false, mock.Message);
            case ClientResultException { Status: > 0 } openAi:
                return FromStatus(openAi.Status, OpenAIErrorMessage(openAi), apiKey);
            case AnthropicSseException sse:
                return FromErrorType(ErrorTypeOf(sse), sse.ApiMessage ?? sse.Message, apiKey);
            case AnthropicApiException anthropic:
                return FromStatus((int)anthropic.StatusCode, anthropic.ApiMessage ?? anthropic.Message, apiKey);
        }

        var detail = ProviderText.ForClients($"{exception.GetType().Name}: {exception.Message}", apiKey);
        if (IsTransport(exception))
        {
            return streamStarted
                ? new ProviderError(CompletionErrorCode.Truncated, TruncatedMessage, false, detail)
                : new ProviderError(CompletionErrorCode.Unavailable, UnavailableMessage, true, detail);
        }

        return new ProviderError(CompletionErrorCode.Unknown, UnknownMessage, false, detail);
    }

    public static ProviderError FromErrorFrame(StreamObservation observation, string? apiKey)
    {
        var error = FromErrorType(observation.ErrorType, observation.ErrorMessage, apiKey);
        return error.Detail is null && observation.ErrorFrame is { } frame ? error with { Detail = ProviderText.ForClients(frame, apiKey) } : error;
    }

    public static bool IsKnownType(string? type) => type is not null && FromErrorType(type, null, null).Code != CompletionErrorCode.Unknown;

    public static ProviderError FromErrorType(string? type, string? providerText, string? apiKey) => type switch
    {
        "rate_limit_error" or "rate_limit_exceeded" or "rate_limited" or "too_many_requests" => Create(CompletionErrorCode.RateLimited, true, providerText, apiKey),
        "authentication_error" or "permission_error" or "invalid_api_key" or "unauthorized" => Create(CompletionErrorCode.Unauthorized, false, providerText, apiKey),
        "invalid_request_error" or "not_found_error" or "request_too_large" or "bad_request" or "content_filter" or "content_policy_violation" => Create(CompletionErrorCode.BadRequest, false, providerText, apiKey),
        "overloaded_error" or "api_error" or "server_error" or "service_unavailable" => Create(CompletionErrorCode.Unavailable, true, providerText, apiKey),
        "timeout_error" or "timeout" => Create(CompletionErrorCode.Timeout, true, providerText, apiKey),
        _ when int.TryParse(type, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) => FromStatus(status, providerText, apiKey),
        _ => Create(CompletionErrorCode.Unknown, false, providerText, apiKey),
    };

    private static ProviderError FromStatus(int status, string? providerText, string? apiKey) => status switch
    {
        (int)HttpStatusCode.TooManyRequests => Create(CompletionErrorCode.RateLimited, true, providerText, apiKey),
        (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden => Create(CompletionErrorCode.Unauthorized, false, providerText, apiKey),
        (int)HttpStatusCode.RequestTimeout => Create(CompletionErrorCode.Timeout, true, providerText, apiKey),
        >= 500 => Create(CompletionErrorCode.Unavailable, true, providerText, apiKey),
        >= 400 => Create(CompletionErrorCode.BadRequest, false, providerText, apiKey),
        _ => Create(CompletionErrorCode.Unknown, false, providerText, apiKey),
    };

    private static ProviderError Create(CompletionErrorCode code, bool retryable, string? providerText, string? apiKey)
    {
        var detail = string.IsNullOrWhiteSpace(providerText) ? null : ProviderText.ForClients(providerText, apiKey);
        var message = code switch
        {
            CompletionErrorCode.BadRequest => BadRequestMessage,
            CompletionErrorCode.RateLimited => RateLimitedMessage,
            CompletionErrorCode.Unauthorized => UnauthorizedMessage,
            CompletionErrorCode.Unavailable => UnavailableMessage,
            CompletionErrorCode.Timeout => TimeoutMessage,
            CompletionErrorCode.Truncated => TruncatedMessage,
            _ => UnknownMessage,
        };
        return new ProviderError(code, message, retryable, detail);
    }

    // The SDK's own message prefixes the status line; the body's error.message is what the provider meant to say.
    private static string? OpenAIErrorMessage(ClientResultException exception)
    {
        try
        {
            var body = exception.GetRawResponse()?.Content;
            if (body is not null)
            {
                using var document = JsonDocument.Parse(body.ToMemory());
                if (document.RootElement.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.String)
                    {
                        return error.GetString();
                    }

                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    {
                        return message.GetString();
                    }
                }
            }
        }
        catch (Exception unreadable) when (unreadable is JsonException or InvalidOperationException)
        {
            // Not a JSON error body (or not buffered): fall back to the SDK's message.
        }

        return exception.Message;
    }

    private static bool IsTransport(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException or IOException or AnthropicIOException)
            {
                return true;
            }
        }

        return false;
    }

    private static string? ErrorTypeOf(AnthropicServiceException exception)
    {
        try
        {
            return exception.Type?.Raw();
        }
        catch (AnthropicException)
        {
            return null;
        }
    }
}
