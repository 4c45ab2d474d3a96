using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Arena.Host.Gateway;

/// Peeks at the top-level session_id of a stream request without consuming the body, which must still be forwarded whole.
internal static class SessionIdReader
{
    private static readonly byte[] PropertyName = Encoding.UTF8.GetBytes("session_id");

    public static async Task<Guid?> TryReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(limit, 1));
        try
        {
            var length = 0;
            var complete = false;
            while (length < limit)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(length, limit - length), cancellationToken);
                if (read == 0)
                {
                    complete = true;
                    break;
                }

                length += read;
            }

            request.Body.Position = 0;
            return Find(buffer.AsSpan(0, length), complete);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// Works on a prefix of the body too: a truncated document still yields session_id if it comes before the cut.
    internal static Guid? Find(ReadOnlySpan<byte> json, bool isFinalBlock)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock, default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals(PropertyName))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String && Guid.TryParse(reader.GetString(), out var id) ? id : null;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
