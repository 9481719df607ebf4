using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Stratus.Host;

namespace Stratus.Services.CloudFormation.Engine;

/// <summary>
/// The ResponseURL a custom resource's function PUTs its result to. On AWS it is a presigned S3 URL; on
/// Stratus it is a URL on Stratus's own address whose random token is its only credential, as a presigned
/// URL's signature is, so it needs no signing. Each URL takes one response, while its resource waits.
/// </summary>
public sealed class CustomResourceResponses : IRequestInterceptor
{
    public const string PathPrefix = "/_stratus/cloudformation/custom-resource-response";
    /// <summary>AWS refuses a custom resource response object over 4096 bytes.</summary>
    public const int MaxResponseBytes = 4096;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<byte[]?>> _waiting = new(StringComparer.Ordinal);

    /// <summary>A response URL's path, waiting for its one response until disposed.</summary>
    public sealed class Pending : IDisposable
    {
        private readonly CustomResourceResponses _owner;
        private readonly string _token;

        internal Pending(CustomResourceResponses owner, string token, TaskCompletionSource<byte[]?> response)
        {
            _owner = owner;
            _token = token;
            Response = response.Task;
        }

        public string Path => $"{PathPrefix}/{_token}";
        /// <summary>The body PUT to the URL, or null when it was longer than <see cref="MaxResponseBytes"/>.</summary>
        public Task<byte[]?> Response { get; }

        public void Dispose() => _owner._waiting.TryRemove(_token, out _);
    }

    public Pending Open()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var response = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[token] = response;
        return new Pending(this, token, response);
    }

    public bool Claims(HttpRequest request) => HttpMethods.IsPut(request.Method) && request.Path.StartsWithSegments(PathPrefix);

    public async Task HandleAsync(HttpContext http)
    {
        var token = http.Request.Path.Value![PathPrefix.Length..].Trim('/');
        if (!_waiting.TryRemove(token, out var response))
        {
            // Answered already, timed out, or never issued: like an expired presigned URL, refused.
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsync("No custom resource is waiting for a response at this URL.");
            return;
        }
        var body = await ReadBoundedAsync(http.Request.Body, MaxResponseBytes, http.RequestAborted);
        response.TrySetResult(body);
        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>The body, or null once it passes <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellation)
    {
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellation)) > 0) length += read;
        return length > limit ? null : buffer[..length];
    }
}
