using System.Net;
using System.Text.Json;
using Arena.Tests.Modules.Messaging;

namespace Arena.Tests.Host;

/// Subjects as an identity provider may issue them: longer than any owner column, or not storable as text.
public sealed class LongSubjectTests(MessagingApp app) : IClassFixture<MessagingApp>
{
    public static TheoryData<string> Subjects => new()
    {
        new string('s', 201),
        new string('l', 257),
        new string('x', 5000),
        "nul\u0000inside",
        "lone\ud800surrogate",
    };

    [Theory]
    [MemberData(nameof(Subjects))]
    public async Task Api_TokenWithAnUnstorableSubject_IsServedAsThatUserAndNoOneElse(string subject)
    {
        using var client = app.As(subject);
        var session = await app.CreateSessionAsync(client, MessagingApp.Fast);
        var (streamed, body) = await MessagingApp.StreamAsync(client, session, "Who am I?");
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Contains("\"finishReason\":\"stop\"", body, StringComparison.Ordinal);

        // Another token for the same subject finds the session; a subject that differs in its last character (past the
        // first 200, for the long ones) does not.
        using var again = app.As(subject);
        using var listed = await again.GetAsync("/api/sessions");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var ids = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetGuid());
        Assert.Contains(session, ids);
        using var other = app.As(subject[..^1] + "?");
        using var hidden = await other.GetAsync($"/api/sessions/{session}");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }
}
