namespace Arena.Tests.Support.FakeUpstreams;

/// Re-cuts a scripted body into pieces of arbitrary size, so that a test can prove a parser does not depend on where
/// the network happens to split the bytes.
public static class FakePieces
{
    /// The same bytes in pieces of 1 to <paramref name="maxPiece"/> bytes, cut at random (seeded, so a failure repeats).
    public static IReadOnlyList<FakeFrame> Random(IEnumerable<FakeFrame> frames, int seed, int maxPiece = 97)
    {
        var random = new Random(seed);
        var bytes = Join(frames);
        var pieces = new List<FakeFrame>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = Math.Min(random.Next(1, maxPiece + 1), bytes.Length - offset);
            pieces.Add(FakeFrame.Bytes(bytes[offset..(offset + length)]));
            offset += length;
        }

        return pieces;
    }

    public static IReadOnlyList<FakeFrame> OneByteAtATime(IEnumerable<FakeFrame> frames) =>
        [.. Join(frames).Select(b => FakeFrame.Bytes([b]))];

    private static byte[] Join(IEnumerable<FakeFrame> frames) =>
        [.. frames.SelectMany(f => f is FakeFrame.BytesFrame bytes ? bytes.Content : throw new ArgumentException("Only byte frames can be re-cut.", nameof(frames)))];
}
