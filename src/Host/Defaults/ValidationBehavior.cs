using FluentValidation;
using Mediator;

namespace Arena.Host.Defaults;

/// Runs every validator of a message before its handler; the problem-details handler turns the failure into a 400.
/// Before them, every string the client sent must be one line of valid text: PostgreSQL refuses NUL (22021) and a lone
/// surrogate cannot be encoded, so either would otherwise surface as a 500 from the database or the serializer.
internal sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var failures = TextFields.Check(message);
        if (failures is not null)
        {
            throw new ValidationException(failures);
        }

        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            if (!result.IsValid)
            {
                (failures ??= []).AddRange(result.Errors);
            }
        }

        if (failures is not null)
        {
            throw new ValidationException(failures);
        }

        return await next(message, cancellationToken);
    }
}
