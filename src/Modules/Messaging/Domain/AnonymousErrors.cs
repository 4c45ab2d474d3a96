using Arena.Modules.Providers.Contracts;

namespace Arena.Modules.Messaging.Domain;

/// What a battle's client reads when a side fails before the vote: one text per code. A provider's own text may name
/// itself or the model (the mock's does, a missing catalog entry does) or give it away by its configured timeouts.
internal static class AnonymousErrors
{
    public static string Of(CompletionErrorCode code) => code switch
    {
        CompletionErrorCode.RateLimited => "The model is rate limited right now; please try again shortly.",
        CompletionErrorCode.Unauthorized => "The model could not be used with Arena's credentials; an operator needs to check them.",
        CompletionErrorCode.BadRequest => "The model refused the request.",
        CompletionErrorCode.Unavailable => "The model is unavailable right now; please try again later.",
        CompletionErrorCode.Timeout => "The model timed out; please try again.",
        CompletionErrorCode.Truncated => "The model's stream broke off before its end.",
        _ => "The reply failed unexpectedly.",
    };
}
