using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using FluentValidation.Results;

namespace Arena.Host.Defaults;

/// The string properties of a message that carry client text: titles, model ids, cursors, winners. The owner id is
/// exempt because it comes from the validated token, not from the client's body or query.
internal static class TextFields
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    public static List<ValidationFailure>? Check(object message)
    {
        List<ValidationFailure>? failures = null;
        foreach (var property in Properties.GetOrAdd(message.GetType(), Find))
        {
            if (property.GetValue(message) is string text && !IsSingleLineText(text))
            {
                var field = ProblemExceptionHandler.FieldName(property.Name);
                (failures ??= []).Add(new ValidationFailure(property.Name, $"'{field}' must be one line of valid Unicode text, without control characters (U+0000-U+001F, U+007F-U+009F) or lone surrogates."));
            }
        }

        return failures;
    }

    public static bool IsSingleLineText(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        var remaining = text.AsSpan();
        while (!remaining.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(remaining, out _, out var consumed) != OperationStatus.Done)
            {
                return false;
            }

            remaining = remaining[consumed..];
        }

        return true;
    }

    private static PropertyInfo[] Find(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) && p.GetIndexParameters().Length == 0 && p.Name != "OwnerId")];
}
