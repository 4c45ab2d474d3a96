using Arena.Modules.Providers.Mock;
using Microsoft.Extensions.AI;

namespace Arena.Modules.Providers.Domain;

internal sealed class ChatClientFactory
{
    public IChatClient Create(CatalogModel model) => model.Provider.Kind switch
    {
        ProviderKind.Mock => new MockChatClient(model.Id, model.Provider.Mock ?? new MockOptions()),
        _ => throw new NotSupportedException($"Provider kind {model.Provider.Kind} has no client yet."),
    };
}
