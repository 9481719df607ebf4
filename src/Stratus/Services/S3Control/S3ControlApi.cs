using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Protocols.RestXml;
using Stratus.Services.S3;

namespace Stratus.Services.S3Control;

/// <summary>
/// S3 Control's wire operations (REST-XML, 2018-08-20, signed as "s3"): account-level Block Public Access, addressed by the
/// x-amz-account-id header on <c>{account}.s3-control.localhost</c>, <c>{account}.localhost</c> (where botocore puts its host
/// prefix before a custom endpoint) or the endpoint itself, under the model's path prefix <c>/v20180820</c>. The setting is S3's
/// state (S3Service keeps it, since every S3 decision on public access consults it), so this folder holds only the wire.
/// Every other operation of the model answers NotImplemented naming it.
/// </summary>
public sealed class S3ControlApi : IStratusService
{
    public const string XmlNamespace = "http://awss3control.amazonaws.com/doc/2018-08-20/";
    private const string PathPrefix = "/v20180820";
    private const string PublicAccessBlockPath = PathPrefix + "/configuration/publicAccessBlock";
    /// <summary>A PublicAccessBlockConfiguration is four booleans: a few KB is generous.</summary>
    private const int MaxDocumentBytes = 64 * 1024;
    /// <summary>An AWS account id: twelve digits (the model's pattern for AccountId).</summary>
    private const int AccountIdLength = 12;
    private readonly S3Service _s3;

    public S3ControlApi(S3Service s3, ILogger logger)
    {
        _s3 = s3;
        var operations = new OperationTable();
        operations.Add("GetPublicAccessBlock", input =>
            Document(_s3.GetAccountPublicAccessBlock(Account(input))));
        operations.Add("PutPublicAccessBlock", async input =>
        {
            var scope = Account(input);
            var document = await RestXmlBody.ReadAsync(input.Call.Http, MaxDocumentBytes, S3Errors.MalformedXml,
                () => S3Errors.EntityTooLarge(input.Call.Http.Request.ContentLength ?? MaxDocumentBytes + 1, MaxDocumentBytes));
            if (document is null || document.Name.LocalName != "PublicAccessBlockConfiguration") throw S3Errors.MalformedXml();
            _s3.PutAccountPublicAccessBlock(scope, PublicAccessBlock.Parse(document.ToString()));
            return OperationResult.Empty();
        });
        operations.Add("DeletePublicAccessBlock", input =>
        {
            _s3.DeleteAccountPublicAccessBlock(Account(input));
            return OperationResult.Empty(204);
        });
        foreach (var (_, _, operation) in S3ControlNotServed.Operations)
            operations.Add(operation, (Func<OperationInput, OperationResult>)(_ => throw S3ControlErrors.NotServed(operation)));
        Endpoint = new ServiceEndpoint("s3", operations, new RestXmlProtocol(XmlNamespace, Resolve) { Prefixes = [PathPrefix] })
        {
            Logger = logger,
            MaxBodyBytes = MaxDocumentBytes,
        };
    }

    public string Name => "s3control";
    public ServiceEndpoint Endpoint { get; }

    private static OperationResult Document(PublicAccessBlock block) => new() { RawBody = RestXmlBody.Serialize(block.Document(XmlNamespace)) };

    /// <summary>
    /// The account the request acts on. It is named in x-amz-account-id, which S3 Control requires, and, when the client sends it to
    /// <c>{account}.s3-control...</c> (as the SDKs do), in the host too: the two must agree (a request naming two accounts is
    /// malformed, InvalidRequest), and the account must be the caller's, since one account's settings are not another's to read
    /// or change (AccessDenied, as S3 Control answers a request for another account).
    /// </summary>
    private static Scope Account(OperationInput input)
    {
        var request = input.Call.Http.Request;
        var named = request.Headers["x-amz-account-id"].ToString();
        if (named.Length == 0) throw S3ControlErrors.MissingAccountId();
        if (HostAccount(request.Host.Host) is { } inHost && inHost != named) throw S3ControlErrors.HostAccountMismatch(inHost, named);
        if (named != input.Scope.AccountId) throw S3Errors.AccessDenied();
        return input.Scope;
    }

    /// <summary>The account id a host begins with (<c>111111111111.s3-control.localhost</c>, <c>111111111111.localhost</c>), if any.</summary>
    private static string? HostAccount(string host)
    {
        var first = host.Split('.')[0];
        return host.Contains('.') && first.Length == AccountIdLength && first.All(char.IsAsciiDigit) ? first : null;
    }

    /// <summary>The operation from the method and the path, by the model's URI templates; NotImplemented for a route the model does not have.</summary>
    private static RestXmlCall Resolve(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        if (path == PublicAccessBlockPath)
        {
            var served = request.Method switch { "GET" => "GetPublicAccessBlock", "PUT" => "PutPublicAccessBlock", "DELETE" => "DeletePublicAccessBlock", _ => null };
            if (served is not null) return new RestXmlCall(served, new Dictionary<string, string>());
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Where templates overlap (a literal segment or a label), the one with more literal segments is the model's route.
        var best = S3ControlNotServed.Operations
            .Where(o => o.Method == request.Method && Matches(o.UriTemplate, segments))
            .OrderByDescending(o => o.UriTemplate.Split('/').Count(s => s.Length > 0 && !s.StartsWith('{')))
            .Select(o => o.Operation).FirstOrDefault();
        return best is not null ? new RestXmlCall(best, new Dictionary<string, string>())
            : throw S3ControlErrors.NoSuchRoute(request.Method, path);
    }

    /// <summary>Whether a path fits a URI template: literal segments equal, a {label} one segment, a greedy {label+} one or more.</summary>
    private static bool Matches(string template, string[] segments)
    {
        var parts = template.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].EndsWith("+}", StringComparison.Ordinal))
            {
                // A greedy label takes what the template's remaining literal segments leave, at least one segment.
                var rest = parts.Length - i - 1;
                var taken = segments.Length - i - rest;
                return taken >= 1 && parts[(i + 1)..].SequenceEqual(segments[(segments.Length - rest)..], StringComparer.Ordinal);
            }
            if (i >= segments.Length) return false;
            if (!parts[i].StartsWith('{') && parts[i] != segments[i]) return false;
        }
        return parts.Length == segments.Length;
    }
}
