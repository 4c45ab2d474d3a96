using System.Net;
using System.Text.Json;

namespace Arena.Tests.Support;

internal static class ProblemAssert
{
    /// Asserts an RFC 7807 answer with the given status and returns its parsed body.
    public static async Task<JsonElement> IsProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        return body;
    }

    /// Asserts a 400 validation problem whose errors name exactly the given fields.
    public static async Task<JsonElement> NamesFields(HttpResponseMessage response, params string[] fields)
    {
        var body = await IsProblem(response, HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(fields.Order().ToArray(), errors);
        return body;
    }
}
