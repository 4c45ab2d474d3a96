using System.Reflection;
using System.Runtime.Loader;
using Arena.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace Arena.Tests.Api;

/// A client generated from the document by NSwag, compiled in memory, does the README's flow against the live Host.
public sealed class GeneratedClientTests(ArenaApp app) : IClassFixture<ArenaApp>
{
    // Written against the generated types, as a client developer would: it compiles only if the document names and
    // shapes things as the README describes them.
    private const string ReadmeFlow =
        """
        namespace Arena.Generated;

        public static class ReadmeFlow
        {
            public static async System.Threading.Tasks.Task<string> RunAsync(System.Net.Http.HttpClient http)
            {
                var client = new ArenaClient(http);
                var models = await client.ListModelsAsync();
                var created = await client.CreateSessionAsync(new CreateSessionRequest { Mode = SessionMode.compare, Model_a = "mock-swift", Model_b = "mock-sage", Title = "First try" });
                var direct = await client.CreateSessionAsync(new CreateSessionRequest { Mode = SessionMode.direct, Model_a = "mock-echo" });
                var page = await client.ListSessionsAsync(1, null);
                var next = await client.ListSessionsAsync(1, page.Next_cursor);
                var renamed = await client.RenameSessionAsync(created.Id, new RenameSessionRequest { Title = "Renamed" });
                var three = await client.CreateSessionAsync(new CreateSessionRequest { Mode = SessionMode.compare, Models = new[] { "mock-swift", "mock-sage", "mock-echo" } });
                var fork = await client.ForkSessionAsync(three.Id, new ForkSessionRequest { Participant = "c" });
                await client.DeleteSessionAsync(created.Id);
                var status = 0;
                try
                {
                    await client.GetSessionAsync(created.Id);
                }
                catch (ApiException<ProblemDetails> missing)
                {
                    status = missing.StatusCode;
                }

                var invalid = "";
                try
                {
                    await client.RenameSessionAsync(direct.Id, new RenameSessionRequest { Title = "" });
                }
                catch (ApiException<HttpValidationProblemDetails> problem)
                {
                    invalid = string.Join(",", problem.Result.Errors.Keys);
                }

                return string.Join("|", models.Models.Count > 0, created.Mode, created.Model_b, direct.Model_b ?? "none", direct.Title,
                    page.Items.Count, System.Linq.Enumerable.First(page.Items).Id == direct.Id, System.Linq.Enumerable.First(next.Items).Id == created.Id, renamed.Title, status, invalid,
                    three.Model_c, three.Model_d ?? "none", fork.Mode, fork.Model_a);
            }
        }
        """;

    [Fact]
    public async Task NSwagClient_GeneratedFromTheDocument_CompilesAndRunsTheReadmeFlow()
    {
        using var client = app.As("alice-generated");
        var json = await client.GetStringAsync("/openapi/v1.json");
        var document = await NSwag.OpenApiDocument.FromJsonAsync(json);
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "ArenaClient",
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            InjectHttpClient = true,
            UseBaseUrl = false,
            GenerateClientInterfaces = false,
        };
        settings.CSharpGeneratorSettings.Namespace = "Arena.Generated";
        settings.CSharpGeneratorSettings.JsonLibrary = NJsonSchema.CodeGeneration.CSharp.CSharpJsonLibrary.SystemTextJson;
        settings.CSharpGeneratorSettings.EnumNameGenerator = new WireEnumNames();
        var code = new CSharpClientGenerator(document, settings).GenerateFile();

        var assembly = Compile(code, ReadmeFlow);
        var run = assembly.GetType("Arena.Generated.ReadmeFlow")!.GetMethod("RunAsync")!;
        var outcome = await (Task<string>)run.Invoke(null, [client])!;

        Assert.Equal("True|compare|mock-sage|none|New chat|1|True|True|Renamed|404|title|mock-echo|none|direct|mock-echo", outcome);
    }

    /// The API reads its enums exactly as it spells them. NSwag's System.Text.Json clients write an enum by its C# member
    /// name (System.Text.Json ignores the EnumMember values NSwag adds), so the members are named as the wire spells them
    /// (docs/api.md says so for client authors).
    private sealed class WireEnumNames : NJsonSchema.CodeGeneration.IEnumNameGenerator
    {
        private static readonly NJsonSchema.CodeGeneration.DefaultEnumNameGenerator Default = new();

        public string Generate(int index, string? name, object? value, NJsonSchema.JsonSchema schema)
        {
            // A value no identifier can spell (the export's FastChat "tie (bothbad)") keeps NSwag's own name: the client only reads those.
            var wire = name ?? value?.ToString() ?? "";
            return !SyntaxFacts.IsValidIdentifier(wire) ? Default.Generate(index, name, value, schema)
                : SyntaxFacts.GetKeywordKind(wire) == SyntaxKind.None ? wire : "@" + wire;
        }
    }

    private static Assembly Compile(params string[] sources)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "Arena.Generated",
            sources.Select(source => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(emitted.Success, string.Join("\n", errors) + "\n" + sources[0]);
        image.Position = 0;
        return new AssemblyLoadContext("generated-client", isCollectible: true).LoadFromStream(image);
    }
}
