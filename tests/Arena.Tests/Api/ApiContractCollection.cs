namespace Arena.Tests.Api;

/// The tests that hold the OpenAPI document to the code share one Host: reading the document changes nothing, so a
/// second Host would only cost another start and another database.
[CollectionDefinition(Name)]
public sealed class ApiContractCollection : ICollectionFixture<ContractApp>
{
    public const string Name = "API contract";
}
