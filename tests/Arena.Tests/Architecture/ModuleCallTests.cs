using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Arena.Tests.Architecture;

/// Modules call each other only by sending a request (a command or a query) of the callee's contracts; a notification
/// goes the other way and is no call. Calls must not go round in a circle, or no module could change without the others.
public sealed class ModuleCallTests
{
    private static readonly Assembly[] Modules = ModuleBoundaryTests.Modules;

    private static readonly Assembly[] Contracts = ModuleBoundaryTests.Contracts;

    [Fact]
    public void Modules_CallEachOther_WithoutACycle()
    {
        var calls = Calls();

        // Messaging asks Sessions and Providers, Votes asks Sessions, Messaging and Providers: the graph is not empty.
        Assert.Contains("Sessions", calls["Messaging"]);
        Assert.Contains("Sessions", calls["Votes"]);
        Assert.Null(ModuleGraph.FindCycle(calls));
    }

    [Fact]
    public void FindCycle_SessionsAndVotesAskingEachOther_NamesTheCycle()
    {
        var calls = new Dictionary<string, IReadOnlySet<string>>
        {
            ["Sessions"] = new HashSet<string> { "Providers", "Votes" },
            ["Votes"] = new HashSet<string> { "Messaging", "Sessions" },
            ["Messaging"] = new HashSet<string> { "Providers" },
            ["Providers"] = new HashSet<string>(),
        };

        Assert.Equal(["Sessions", "Votes", "Sessions"], ModuleGraph.FindCycle(calls));
        Assert.Equal(["Messaging", "Votes", "Sessions", "Messaging"], ModuleGraph.FindCycle(new Dictionary<string, IReadOnlySet<string>>
        {
            ["Messaging"] = new HashSet<string> { "Votes" },
            ["Votes"] = new HashSet<string> { "Sessions" },
            ["Sessions"] = new HashSet<string> { "Messaging" },
        }));
    }

    /// For each module, the modules whose requests its code refers to: read from the compiled assembly's type
    /// references, so that a call through any code path counts.
    private static Dictionary<string, IReadOnlySet<string>> Calls()
    {
        var requests = Contracts.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.GetInterfaces().Any(i => i.FullName == "Mediator.IMessage") && !t.GetInterfaces().Any(i => i.FullName == "Mediator.INotification"))
            .ToDictionary(t => t.FullName!, t => ModuleOf(t.Assembly));
        Assert.NotEmpty(requests);
        return Modules.ToDictionary(
            ModuleOf,
            module =>
            {
                using var file = File.OpenRead(module.Location);
                using var pe = new PEReader(file);
                var metadata = pe.GetMetadataReader();
                var called = metadata.TypeReferences
                    .Select(handle => metadata.GetTypeReference(handle))
                    .Select(reference => $"{metadata.GetString(reference.Namespace)}.{metadata.GetString(reference.Name)}")
                    .Where(requests.ContainsKey)
                    .Select(name => requests[name])
                    .Where(callee => callee != ModuleOf(module));
                return (IReadOnlySet<string>)called.ToHashSet();
            });
    }

    /// <c>Arena.Modules.Sessions</c> and <c>Arena.Modules.Sessions.Contracts</c> are both <c>Sessions</c>.
    private static string ModuleOf(Assembly assembly) => assembly.GetName().Name!.Split('.')[2];
}

internal static class ModuleGraph
{
    /// A path that comes back to where it started (its first module repeated at the end), or null when there is none.
    public static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, IReadOnlySet<string>> calls)
    {
        var done = new HashSet<string>();
        var path = new List<string>();

        IReadOnlyList<string>? Visit(string module)
        {
            var open = path.IndexOf(module);
            if (open >= 0)
            {
                return [.. path.Skip(open), module];
            }

            if (!done.Add(module))
            {
                return null;
            }

            path.Add(module);
            foreach (var callee in calls.GetValueOrDefault(module) ?? new HashSet<string>())
            {
                if (Visit(callee) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            return null;
        }

        return calls.Keys.Select(Visit).FirstOrDefault(cycle => cycle is not null);
    }
}
