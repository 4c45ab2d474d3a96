using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;

namespace Arena.Tests.Clients;

/// The Host with the catalog's mock models slowed to about 6 s a reply (32 chunks 200 ms apart): a turn is still running
/// when the proxy in front of the Host restarts and when a client that waits its retry interval comes back.
public sealed class NpmClientsApp() : MessagingApp(ArenaAppPart.Settings(
    ("Arena:Providers:mock:Mock:ChunkCount", "32"),
    ("Arena:Providers:mock:Mock:ChunkInterval", "00:00:00.200")));
