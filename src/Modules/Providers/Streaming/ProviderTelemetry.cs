using System.Diagnostics;
using System.Diagnostics.Metrics;
using Arena.Modules.Providers.Contracts;
using Arena.Modules.Providers.Domain;

namespace Arena.Modules.Providers.Streaming;

/// The OpenTelemetry GenAI client span and metrics of one provider call, recorded from what the handler already sees
/// (the model, the finish reason, the usage) at the start and at the end only. Microsoft.Extensions.AI's
/// OpenTelemetryChatClient gives the same conventions but keeps every streamed update in a list until the stream ends,
/// so a long reply held all its chunks (and the SDK objects behind them) in memory; this keeps nothing per chunk.
internal sealed class ProviderTelemetry
{
    public const string SourceName = "Arena.Providers";

    private static readonly ActivitySource Source = new(SourceName);
    private static readonly Meter Meter = new(SourceName);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration",
        unit: "s",
        description: "GenAI operation duration.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });

    private static readonly Histogram<long> Tokens = Meter.CreateHistogram<long>(
        "gen_ai.client.token.usage",
        unit: "{token}",
        description: "Measures number of input and output tokens used.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });

    private readonly Activity? activity;
    private readonly long startedAt = Stopwatch.GetTimestamp();
    private readonly string providerName;
    private readonly string requestModel;

    private ProviderTelemetry(CatalogModel model)
    {
        providerName = model.Provider.Kind switch
        {
            ProviderKind.OpenAI => "openai",
            ProviderKind.Anthropic => "anthropic",
            _ => "arena.mock",
        };
        requestModel = model.ProviderModel;
        activity = Source.StartActivity("chat " + requestModel, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", "chat");
            activity.SetTag("gen_ai.provider.name", providerName);
            activity.SetTag("gen_ai.request.model", requestModel);
            activity.SetTag("gen_ai.request.max_tokens", model.MaxOutputTokens);
            if (model.Temperature is { } temperature)
            {
                activity.SetTag("gen_ai.request.temperature", temperature);
            }

            if (model.TopP is { } topP)
            {
                activity.SetTag("gen_ai.request.top_p", topP);
            }

            if (model.Provider.BaseUrl is { } baseUrl)
            {
                activity.SetTag("server.address", baseUrl.Host);
                activity.SetTag("server.port", baseUrl.Port);
            }
        }
    }

    public static ProviderTelemetry Start(CatalogModel model) => new(model);

    /// Ends the span once, with the outcome: <paramref name="errorType"/> is Arena's error code, never provider text,
    /// which may quote key fragments or internal hosts.
    public void End(string? responseModel, string? finishReason, TokenUsage? usage, CompletionErrorCode? errorType)
    {
        var elapsed = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        var tags = new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.provider.name", providerName },
            { "gen_ai.request.model", requestModel },
        };
        if (responseModel is not null)
        {
            tags.Add("gen_ai.response.model", responseModel);
        }

        if (errorType is { } code)
        {
            tags.Add("error.type", code.ToString());
        }

        if (Duration.Enabled)
        {
            Duration.Record(elapsed, tags);
        }

        if (Tokens.Enabled && usage is not null)
        {
            if (usage.PromptTokens is { } input)
            {
                var inputTags = tags;
                inputTags.Add("gen_ai.token.type", "input");
                Tokens.Record(input, inputTags);
            }

            if (usage.CompletionTokens is { } output)
            {
                var outputTags = tags;
                outputTags.Add("gen_ai.token.type", "output");
                Tokens.Record(output, outputTags);
            }
        }

        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("gen_ai.response.model", responseModel);
            if (finishReason is not null)
            {
                activity.SetTag("gen_ai.response.finish_reasons", new[] { finishReason });
            }

            activity.SetTag("gen_ai.usage.input_tokens", usage?.PromptTokens);
            activity.SetTag("gen_ai.usage.output_tokens", usage?.CompletionTokens);
            activity.SetTag("gen_ai.usage.cache_read.input_tokens", usage?.CacheReadTokens);
            activity.SetTag("gen_ai.usage.cache_creation.input_tokens", usage?.CacheWriteTokens);
            activity.SetTag("gen_ai.usage.reasoning.output_tokens", usage?.ReasoningTokens);
            if (errorType is { } failure)
            {
                activity.SetTag("error.type", failure.ToString());
                activity.SetStatus(ActivityStatusCode.Error, failure.ToString());
            }
        }

        activity.Dispose();
    }
}
