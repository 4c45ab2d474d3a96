using System.Reflection;
using Arena.Modules.Messaging;
using Arena.Modules.Providers;
using Arena.Modules.Sessions;
using Arena.Modules.Votes;

namespace Arena.Tests.Architecture;

public sealed class ModuleBoundaryTests
{
    internal static readonly Assembly[] Modules = [typeof(SessionsModule).Assembly, typeof(MessagingModule).Assembly, typeof(ProvidersModule).Assembly, typeof(VotesModule).Assembly];

    internal static readonly Assembly[] Contracts =
    [
        typeof(Arena.Modules.Providers.Contracts.FindModel).Assembly,
        typeof(Arena.Modules.Sessions.Contracts.FindSession).Assembly,
        typeof(Arena.Modules.Messaging.Contracts.ListSessionReplies).Assembly,
    ];

    [Fact]
    public void Modules_ReferenceOtherModules_OnlyThroughContracts()
    {
        var moduleNames = Modules.Select(m => m.GetName().Name!).ToHashSet();
        foreach (var module in Modules)
        {
            var references = module.GetReferencedAssemblies().Select(r => r.Name!).ToList();
            var implementations = references.Where(moduleNames.Contains).ToList();
            Assert.True(implementations.Count == 0, $"{module.GetName().Name} references {string.Join(", ", implementations)}");
            Assert.DoesNotContain(references, r => r is "Arena.Host" || r.StartsWith("Yarp", StringComparison.Ordinal));
        }
    }

    /// What every module builds on knows none of them, nor the Host: otherwise a module would reach another through it.
    [Fact]
    public void BuildingBlocks_ReferenceNoModuleAndNoHost()
    {
        var blocks = typeof(Arena.BuildingBlocks.Settings.SettingChecks).Assembly;

        var arena = blocks.GetReferencedAssemblies().Select(r => r.Name!).Where(n => n.StartsWith("Arena.", StringComparison.Ordinal));

        Assert.Empty(arena);
        Assert.Contains(Modules, module => module.GetReferencedAssemblies().Any(r => r.Name == blocks.GetName().Name));
    }

    [Fact]
    public void Modules_ExposeOnlyTheirEntryPoint()
    {
        foreach (var module in Modules)
        {
            // EF Core generates migrations as public classes; they are not an API anyone calls.
            var publicTypes = module.GetExportedTypes()
                .Where(t => t.Namespace?.EndsWith(".Persistence.Migrations", StringComparison.Ordinal) != true)
                .Select(t => t.Name)
                .ToList();
            var expected = module.GetName().Name!.Split('.').Last() + "Module";
            Assert.Equal([expected], publicTypes);
        }
    }

    [Fact]
    public void Handlers_InEveryModule_AreInternal()
    {
        var handlers = Modules.Concat(Contracts)
            .SelectMany(a => a.GetTypes())
            .Where(t => t.GetInterfaces().Any(i => i.Namespace == "Mediator" && i.Name.Contains("Handler", StringComparison.Ordinal)))
            .ToList();

        Assert.NotEmpty(handlers);
        Assert.All(handlers, h => Assert.False(h.IsPublic || h.IsNestedPublic, $"{h.FullName} is public"));
    }

    [Fact]
    public void Contracts_DependOnNothingButMediator()
    {
        foreach (var contracts in Contracts)
        {
            var references = contracts.GetReferencedAssemblies().Select(r => r.Name!).Where(n => !n.StartsWith("System", StringComparison.Ordinal) && n != "netstandard");

            Assert.Equal(["Mediator"], references);
        }
    }

    [Fact]
    public void Contracts_ExposeOnlyRecordsAndEnums()
    {
        foreach (var type in Contracts.SelectMany(a => a.GetExportedTypes()))
        {
            var isRecord = type.GetMethod("<Clone>$") is not null;
            Assert.True(isRecord || type.IsEnum, $"{type.FullName} is neither a record nor an enum");
        }
    }
}
