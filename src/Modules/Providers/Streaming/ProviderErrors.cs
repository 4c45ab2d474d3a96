using System.ClientModel;
using System.Net;
using Anthropic.Exceptions;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Mock;

namespace Arena.Modules.Providers.Streaming;

/// A provider failure in Arena's taxonomy, and whether sending the request again may help.
internal readonly record struct ProviderError(CompletionErrorCode Code, string Message, bool Retryable);

/// Maps what the SDKs throw (and what the wire observer saw) to <see cref="ProviderError"/>.
internal static class ProviderErrors
{
    public static ProviderError Classify(Exception exception, bool streamStarted)
    {
        switch (exception)
        {
            case MockProviderException mock:
                return new ProviderError(mock.Code, mock.Message, false);
            case ClientResultException { Status: > 0 } openAi:
                return FromStatus(openAi.Status, openAi.Message);
            case AnthropicSseException sse:
                return FromErrorType(ErrorTypeOf(sse), sse.ApiMessage ?? sse.Message);
            case AnthropicApiException anthropic:
                return FromStatus((int)anthropic.StatusCode, anthropic.ApiMessage ?? anthropic.Message);
        }

        if (IsTransport(exception))
        {
            return streamStarted
                ? new ProviderError(CompletionErrorCode.Truncated, "The provider's stream broke off before its end marker: " + exception.Message, false)
                : new ProviderError(CompletionErrorCode.Unavailable, "Could not reach the provider: " + exception.Message, true);
        }

        return new ProviderError(CompletionErrorCode.Unknown, exception.Message, false);
    }

    public static ProviderError FromErrorType(string? type, string message) => type switch
    {
        "rate_limit_error" or "rate_limit_exceeded" or "rate_limited" or "too_many_requests" => new(CompletionErrorCode.RateLimited, message, true),
        "authentication_error" or "permission_error" or "invalid_api_key" or "unauthorized" => new(CompletionErrorCode.Unauthorized, message, false),
        "invalid_request_error" or "not_found_error" or "request_too_large" or "bad_request" => new(CompletionErrorCode.BadRequest, message, false),
        "overloaded_error" or "api_error" or "server_error" or "service_unavailable" => new(CompletionErrorCode.Unavailable, message, true),
        "timeout_error" or "timeout" => new(CompletionErrorCode.Timeout, message, true),
        _ => new(CompletionErrorCode.Unknown, message, false),
    };

    private static ProviderError FromStatus(int status, string message) => status switch
    {
        (int)HttpStatusCode.TooManyRequests => new(CompletionErrorCode.RateLimited, message, true),
        (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden => new(CompletionErrorCode.Unauthorized, message, false),
        (int)HttpStatusCode.RequestTimeout => new(CompletionErrorCode.Timeout, message, true),
        >= 500 => new(CompletionErrorCode.Unavailable, message, true),
        >= 400 => new(CompletionErrorCode.BadRequest, message, false),
        _ => new(CompletionErrorCode.Unknown, message, false),
    };

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
