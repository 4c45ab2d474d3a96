using Arena.Modules.Messaging.Domain;
using Arena.Modules.Messaging.Streaming;
using Arena.Modules.Providers.Contracts;
using Microsoft.Extensions.Time.Testing;

namespace Arena.Tests.Modules.Messaging;

/// When a streaming reply offers its content for a partial copy, on a clock the test moves: once per flush interval, and
/// only with content the database does not have yet.
public sealed class PartialDueTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly OwnTelemetry telemetry = new();
    private readonly StreamTrace trace;

    public PartialDueTests()
    {
        trace = telemetry.Trace();
    }

    public void Dispose()
    {
        trace.Dispose();
        telemetry.Dispose();
    }

    [Fact]
    public void PartialDue_NewContent_DueOnceTheIntervalSinceTheStartIsOverAndNotBefore()
    {
        var transcript = Started();
        transcript.Apply(new CompletionText("one "));

        clock.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.False(transcript.PartialDue());
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(transcript.PartialDue());
    }

    [Fact]
    public void PartialDue_AfterACopy_CountsTheIntervalFromThatCopy()
    {
        var transcript = Started();
        transcript.Apply(new CompletionText("one "));
        clock.Advance(Interval * 1.5);
        Assert.True(transcript.PartialDue());

        transcript.Apply(new CompletionText("two "));
        clock.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.False(transcript.PartialDue());
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(transcript.PartialDue());
    }

    [Fact]
    public void PartialDue_NothingNewSinceTheLastCopy_NeverDue()
    {
        var transcript = Started();
        transcript.Apply(new CompletionText("one "));
        clock.Advance(Interval);
        Assert.True(transcript.PartialDue());

        clock.Advance(Interval * 10);
        Assert.False(transcript.PartialDue());
    }

    [Fact]
    public void PartialDue_OnlyReasoningSoFar_Due()
    {
        var transcript = Started();
        // A model still thinking has text worth keeping before its answer starts.
        transcript.Apply(new CompletionReasoning("weighing it"));

        clock.Advance(Interval);
        Assert.True(transcript.PartialDue());
    }

    private ParticipantTranscript Started()
    {
        var transcript = new ParticipantTranscript(new ParticipantPlan(Participant.A, "mock", Guid.CreateVersion7(), []), trace, clock, Interval);
        transcript.Start();
        return transcript;
    }
}
