using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Arena.Host.Gateway;

/// Sticky weighted split: a session's place is fixed forever, so raising the share only ever moves sessions from legacy to streaming.
internal static class RoutingPolicy
{
    public const int Places = 100;

    /// SHA-256 of the canonical id text rather than GetHashCode, which is randomised per process.
    public static int PlaceOf(Guid sessionId)
    {
        Span<byte> text = stackalloc byte[36];
        Encoding.ASCII.GetBytes(sessionId.ToString("D"), text);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text, hash);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(hash) % Places);
    }

    public static string PipelineFor(int place, int streamingShare) =>
        place < Math.Clamp(streamingShare, 0, Places) ? Pipelines.Streaming : Pipelines.Legacy;
}
