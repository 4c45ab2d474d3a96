using System.Net;
using System.Net.Http.Headers;
using Arena.Modules.Providers.Streaming;
using Arena.Tests.Modules.Messaging;
using Arena.Tests.Support;

namespace Arena.Tests.Reliability;

public sealed class SecretTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    [Theory]
    [InlineData("Invalid API Key: gsk_SE****live", "gsk_SECRETSECRETlive", "gsk_SE", "live")]
    [InlineData("Incorrect API key provided: abcd****wxyz.", "abcdEFGHIJKLMNOPwxyz", "abcd", "wxyz")]
    [InlineData("key xai-AbCdEfGh1234 refused", "xai-AbCdEfGh1234", "AbCd", "1234")]
    [InlineData("bad key AIzaSyA1234567890abcdefghijk", "AIzaSyA1234567890abcdefghijk", "AIza", "hijk")]
    public void ProviderText_KeyFragmentInAnyFormat_IsRedactedForLogsAndClients(string text, string key, string head, string tail)
    {
        foreach (var cleaned in new[] { ProviderText.ForLogs(text, key), ProviderText.ForClients(text, key) })
        {
            Assert.DoesNotContain(head, cleaned, StringComparison.Ordinal);
            Assert.DoesNotContain(tail, cleaned, StringComparison.Ordinal);
            Assert.Contains(ProviderText.Redacted, cleaned, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Token_ExpiredOneMinuteAgo_IsRefused()
    {
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("skew", expires: DateTime.UtcNow.AddMinutes(-1)));

        using var response = await client.GetAsync("/api/sessions");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Token_ExpiredTenSecondsAgo_IsAcceptedWithinTheSkew()
    {
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("skew", expires: DateTime.UtcNow.AddSeconds(-10)));

        using var response = await client.GetAsync("/api/sessions");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
