using Arena.Modules.Providers.Streaming;

namespace Arena.Tests.Modules.Providers;

public sealed class ProviderTextTests
{
    [Theory]
    [InlineData("Incorrect API key provided: sk-proj-****************abcd. See the docs.", "Incorrect API key provided: [redacted]. See the docs.")]
    [InlineData("bad key sk-ant-api03-AbC_d-9 here", "bad key [redacted] here")]
    [InlineData("header Authorization: Bearer abc.def-ghi", "header Authorization: [redacted] [redacted]")]
    [InlineData("sent x-api-key=secretvalue123", "sent x-api-key=[redacted]")]
    [InlineData("{\"api_key\": \"hunter2\"}", "{\"api_key\": \"[redacted]\"}")]
    [InlineData("the configured key my-own-key-42 was refused", "the configured key [redacted] was refused")]
    [InlineData("invalid x-api-key", "invalid x-api-key")]
    [InlineData("max_tokens: 4096 is too large for desk-top use", "max_tokens: 4096 is too large for desk-top use")]
    public void ForLogs_SecretsInProviderText_Masked(string text, string expected) =>
        Assert.Equal(expected, ProviderText.ForLogs(text, "my-own-key-42"));

    [Theory]
    [InlineData("Connection refused (10.0.3.7:8000)", "Connection refused ([redacted])")]
    [InlineData("upstream vllm.internal:8000 and localhost:11434 and [::1]:80", "upstream [redacted] and [redacted] and [redacted]")]
    [InlineData("node 192.168.1.20 says no", "node [redacted] says no")]
    [InlineData("see https://platform.openai.com/account/api-keys", "see https://platform.openai.com/account/api-keys")]
    [InlineData("upstream vllm:8000 refused, try ollama:11434", "upstream [redacted] refused, try [redacted]")]
    [InlineData("POST http://vllm/v1/chat/completions failed", "POST [redacted] failed")]
    public void ForClients_HostsAndPorts_Masked(string text, string expected) =>
        Assert.Equal(expected, ProviderText.ForClients(text, null));
}
