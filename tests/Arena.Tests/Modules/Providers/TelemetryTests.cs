using System.Collections.Concurrent;
using System.Diagnostics;
using Arena.Tests.Support.FakeUpstreams;

namespace Arena.Tests.Modules.Providers;

public sealed class TelemetryTests : IClassFixture<ProvidersApp>
{
    private static readonly ActivitySource TestSource = new("Arena.Tests");
    private readonly ProvidersApp app;

    public TelemetryTests(ProvidersApp app)
    {
        this.app = app;
        app.Upstream.Reset();
    }

    [Fact]
    public async Task Stream_KeyedProvider_EmitsGenAiSpanUnderArenaSourceWithoutContentOrKey()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Arena.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        app.Upstream.Enqueue(FakeResponse.EventStream(OpenAIStream.Completion(["traced answer"], promptTokens: 5, completionTokens: 2)));

        ActivityTraceId trace;
        using (var parent = TestSource.StartActivity("test")!)
        {
            trace = parent.TraceId;
            await app.StreamAsync(ProvidersApp.OpenAIModel, "a private prompt");
        }

        // Other test classes stream in parallel; only this trace is ours.
        var span = Assert.Single(spans, s => s.TraceId == trace && s.Source.Name == "Arena.Providers");
        Assert.Equal("gpt-test", span.GetTagItem("gen_ai.request.model"));
        Assert.Equal(5, Convert.ToInt32(span.GetTagItem("gen_ai.usage.input_tokens"), System.Globalization.CultureInfo.InvariantCulture));
        var everything = string.Join("\n", span.TagObjects.Select(t => $"{t.Key}={t.Value}").Concat(span.Events.Select(e => e.Name)));
        Assert.DoesNotContain("a private prompt", everything);
        Assert.DoesNotContain("traced answer", everything);
        Assert.DoesNotContain(ProvidersApp.OpenAIKey, everything);
    }

    [Fact]
    public async Task Stream_ProviderQuotesTheKeyIn401_SpanCarriesNoKeyFragment()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Arena.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        app.Upstream.Enqueue(FakeResponse.Json(401, SecretLoggingTests.OpenAIInvalidKeyBody));

        ActivityTraceId trace;
        using (var parent = TestSource.StartActivity("test")!)
        {
            trace = parent.TraceId;
            await app.StreamAsync(ProvidersApp.OpenAIModel, "hi");
        }

        var span = Assert.Single(spans, s => s.TraceId == trace && s.Source.Name == "Arena.Providers");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        var everything = string.Join(
            "\n",
            span.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}")))
                .Append(span.StatusDescription ?? ""));
        Assert.DoesNotContain("sk-", everything);
        Assert.DoesNotContain("abcd", everything);
    }
}
