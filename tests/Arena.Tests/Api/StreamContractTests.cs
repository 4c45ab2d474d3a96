using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Features.StreamReply;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Messaging.Streaming.Wire;
using Arena.Tests.Support;

namespace Arena.Tests.Api;

/// The stream's contract is written down three times besides the wire writers: in the protocol page (docs/stream-protocol.md), in the
/// OpenAPI description of the stream's 200 and in that response's example streams. Each must name every event kind and
/// every JSON field the writers produce, and nothing they do not. The writers' output is found by running every
/// <see cref="StreamEvent"/> record there is through both, so a new event, or a new field, fails here until it is documented.
[Collection(ApiContractCollection.Name)]
public sealed partial class StreamContractTests(ContractApp app)
{
    // Where the protocol is written for people: the section under this heading, to the next heading of its level or above.
    private const string ProtocolPage = "docs/stream-protocol.md";
    private const string ProtocolHeading = "# Streaming a reply";

    // The old service's format, which the data protocol keeps, has no line for these.
    private static readonly Type[] SseOnly = [typeof(StreamStarted), typeof(StreamKeepAlive)];

    [Fact]
    public void Writers_EveryStreamEvent_SentByBothProtocolsOrBySseOnlyWhereListed()
    {
        var disagreements = new List<string>();
        foreach (var type in EventTypes())
        {
            var sample = Sample(type, Participant.A);
            var data = Write(new DataWireWriter(), sample).Length > 0;
            var sse = Write(new SseWireWriter(), sample).Length > 0;
            if (data != !SseOnly.Contains(type) || !sse)
            {
                disagreements.Add($"{type.Name}: data {(data ? "sends" : "does not send")} it, sse {(sse ? "sends" : "does not send")} it");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    [Fact]
    public void Writers_EveryParticipant_WrittenAsTheLetterOfItsPlace()
    {
        var wrong = new List<string>();
        var participants = Enum.GetValues<Participant>();
        for (var place = 0; place < participants.Length; place++)
        {
            var letter = ((char)('a' + place)).ToString();
            foreach (var type in EventTypes())
            {
                var sample = Sample(type, participants[place]);
                wrong.AddRange(Write(new DataWireWriter(), sample).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Where(line => !line.StartsWith(letter, StringComparison.Ordinal))
                    .Select(line => $"{participants[place]} in data: {line}"));
                wrong.AddRange(SseEvents(Write(new SseWireWriter(), sample))
                    .Where(e => e.Data?["participant"] is { } written && written.GetValue<string>() != letter)
                    .Select(e => $"{participants[place]} in sse {e.Name}: {e.Data!.ToJsonString()}"));
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Readme_ProtocolSection_DocumentsExactlyTheEventsAndFieldsTheWritersProduce()
    {
        AssertSame($"{ProtocolPage}, {ProtocolHeading}", Documented(ProtocolSection()), Written());
    }

    [Fact]
    public async Task OpenApi_StreamDescription_DocumentsExactlyTheEventsAndFieldsTheWritersProduce()
    {
        var response = await StreamResponseAsync();

        AssertSame("the stream's 200 description", Documented(response["description"]!.GetValue<string>()), Written());
    }

    [Fact]
    public async Task OpenApi_StreamExamples_HoldExactlyTheEventsAndFieldsTheWritersProduce()
    {
        var response = await StreamResponseAsync();
        var examples = response["content"]![StreamReplyDescription.EventStreamMediaType]!["examples"]!;
        var data = DataEntries(examples[StreamReplyDescription.DataExampleName]!["value"]!.GetValue<string>());
        var sse = SseEntries(examples[StreamReplyDescription.SseExampleName]!["value"]!.GetValue<string>());

        var written = Written();
        AssertSame("the data example stream", data, [.. written.Where(e => e.StartsWith("data ", StringComparison.Ordinal))]);
        AssertSame("the sse example stream", sse, [.. written.Where(e => e.StartsWith("sse ", StringComparison.Ordinal))]);
    }

    private async Task<JsonObject> StreamResponseAsync()
    {
        using var client = app.Anonymous();
        var (document, _) = await ApiDocument.FetchAsync(client);
        var stream = document.Operations().Single(o => o.Method == "POST" && o.Path.TrimEnd('/').EndsWith(StreamReplyDescription.Pattern.TrimEnd('/'), StringComparison.Ordinal));
        return stream.Operation["responses"]!["200"]!.AsObject();
    }

    private static void AssertSame(string where, SortedSet<string> documented, SortedSet<string> written)
    {
        var undocumented = written.Except(documented).ToList();
        var unwritten = documented.Except(written).ToList();
        Assert.True(
            undocumented.Count == 0 && unwritten.Count == 0,
            $"{where}:\n  written but not documented: {string.Join(", ", undocumented)}\n  documented but never written: {string.Join(", ", unwritten)}");
    }

    /// Every kind and JSON field path the writers produce, as "data d", "data d usage.promptTokens", "sse finish ttft_ms",
    /// "sse : keep-alive" (a comment line).
    private static SortedSet<string> Written()
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in EventTypes())
        {
            var sample = Sample(type, Participant.A);
            entries.UnionWith(DataEntries(Write(new DataWireWriter(), sample)));
            entries.UnionWith(SseEntries(Write(new SseWireWriter(), sample)));
        }

        entries.UnionWith(DataEntries(End(new DataWireWriter())));
        entries.UnionWith(SseEntries(End(new SseWireWriter())));
        return entries;
    }

    /// The same entries from prose: each `{p}kind:{json}` and each `event` `{json}` written in backticks, and each
    /// backticked comment line.
    private static SortedSet<string> Documented(string markdown)
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in DocumentedDataLine().Matches(markdown))
        {
            Add(entries, "data " + match.Groups["kind"].Value, match.Groups["json"].Value);
        }

        foreach (Match match in DocumentedSseEvent().Matches(markdown))
        {
            Add(entries, "sse " + match.Groups["event"].Value, match.Groups["json"].Value);
        }

        foreach (Match match in DocumentedComment().Matches(markdown))
        {
            entries.Add("sse " + match.Groups["comment"].Value);
        }

        return entries;
    }

    private static SortedSet<string> DataEntries(string text)
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = DataLine().Match(line);
            Assert.True(match.Success, $"not a data line: {line}");
            Add(entries, "data " + match.Groups["kind"].Value, match.Groups["json"].Value);
        }

        return entries;
    }

    private static SortedSet<string> SseEntries(string text)
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, data) in SseEvents(text))
        {
            entries.Add("sse " + name);
            entries.UnionWith(Paths(data).Select(path => $"sse {name} {path}"));
        }

        return entries;
    }

    /// Each event's name and data, and each comment line as a name without data.
    private static IEnumerable<(string Name, JsonObject? Data)> SseEvents(string text)
    {
        foreach (var block in text.Split("\n\n").Select(b => b.Trim('\n')).Where(b => b.Length > 0))
        {
            if (block.StartsWith(':'))
            {
                yield return (block, null);
                continue;
            }

            var fields = block.Split('\n').Select(line => line.Split(": ", 2)).ToDictionary(field => field[0], field => field[1]);
            yield return (fields["event"], JsonNode.Parse(fields["data"])!.AsObject());
        }
    }

    private static void Add(SortedSet<string> entries, string kind, string json)
    {
        entries.Add(kind);
        entries.UnionWith(Paths(JsonNode.Parse(json)!.AsObject()).Select(path => $"{kind} {path}"));
    }

    private static IEnumerable<string> Paths(JsonObject? json, string prefix = "") =>
        json is null ? [] : json.SelectMany(property => Paths(property.Value as JsonObject, $"{prefix}{property.Key}.").Prepend(prefix + property.Key));

    private static IEnumerable<Type> EventTypes()
    {
        var types = typeof(StreamEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(StreamEvent)) && !t.IsAbstract).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        Assert.NotEmpty(types);
        return types;
    }

    /// An instance with every value set, a nullable one too, so that the writers show every field they can.
    private static object Sample(Type type, Participant participant)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Sample(underlying, participant);
        }

        if (type == typeof(Participant))
        {
            return participant;
        }

        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(Guid))
        {
            return Guid.Parse("0195a0f2-0000-7000-8000-000000000001");
        }

        if (type.IsEnum)
        {
            return Enum.GetValues(type).GetValue(0)!;
        }

        if (type.IsPrimitive || type == typeof(decimal))
        {
            return Convert.ChangeType(1, type, CultureInfo.InvariantCulture);
        }

        if (type.IsArray)
        {
            var array = Array.CreateInstance(type.GetElementType()!, 1);
            array.SetValue(Sample(type.GetElementType()!, participant), 0);
            return array;
        }

        // The widest constructor, leaving out a record's copy constructor.
        var constructor = type.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(c => c.GetParameters().All(p => p.ParameterType != type))
            .MaxBy(c => c.GetParameters().Length)
            ?? throw new InvalidOperationException($"No sample for {type.Name}: {nameof(Sample)} needs to learn to build one.");
        return constructor.Invoke([.. constructor.GetParameters().Select(p => Sample(p.ParameterType, participant))]);
    }

    private static string Write(StreamWireWriter writer, object streamEvent) => Text(output => writer.Write((StreamEvent)streamEvent, output));

    private static string End(StreamWireWriter writer) => Text(output => writer.WriteEnd(output));

    private static string Text(Func<ArrayBufferWriter<byte>, bool> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string ProtocolSection()
    {
        var lines = File.ReadAllLines(Path.Combine(Checkout.Root, ProtocolPage));
        var start = Array.IndexOf(lines, ProtocolHeading);
        Assert.True(start >= 0, $"{ProtocolPage} has no line \"{ProtocolHeading}\"");
        var level = Heading().Match(ProtocolHeading).Groups["level"].Length;
        var fenced = false;
        var end = start + 1;
        for (; end < lines.Length; end++)
        {
            if (lines[end].StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced && Heading().Match(lines[end]) is { Success: true } heading && heading.Groups["level"].Length <= level)
            {
                break;
            }
        }

        return string.Join('\n', lines[start..end]);
    }

    [GeneratedRegex(@"^(?<participant>[a-z])(?<kind>[0-9a-z]):(?<json>\{.*\})$")]
    private static partial Regex DataLine();

    [GeneratedRegex(@"`\{p\}(?<kind>[0-9a-z]):(?<json>\{[^`]*\})`")]
    private static partial Regex DocumentedDataLine();

    [GeneratedRegex(@"`(?<event>[a-z_]+)` `(?<json>\{[^`]*\})`")]
    private static partial Regex DocumentedSseEvent();

    [GeneratedRegex(@"`(?<comment>: [a-z-]+)`")]
    private static partial Regex DocumentedComment();

    [GeneratedRegex("^(?<level>#{1,6}) ")]
    private static partial Regex Heading();
}
