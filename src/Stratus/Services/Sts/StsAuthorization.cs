using System.Globalization;
using Stratus.Protocols;
using Stratus.Services.Iam;
using Stratus.Services.Iam.Engine;

namespace Stratus.Services.Sts;

/// <summary>
/// What `--auth enforce` authorizes STS's operations against (Service Authorization Reference, AWS STS):
/// AssumeRole the role's ARN, whose trust policy is its resource policy, so within an account a trust
/// policy naming the caller allows without an identity policy, as on AWS. GetWebIdentityToken (no resource) carries
/// sts:IdentityTokenAudience, sts:SigningAlgorithm and sts:DurationSeconds, and its Tags as aws:RequestTag/aws:TagKeys.
/// </summary>
public static class StsAuthorization
{
    public static AuthorizationTable Table(IIamRoles roles) => new("sts", arn => roles.FindRoleByArn(arn)?.AssumeRolePolicyDocument,
        context: (i, request) =>
        {
            AddAssumeRoleKeys(request, i.String("RoleSessionName"), i.String("ExternalId"), i.Has("Tags") ? i.TagMap() ?? [] : []);
            if (request.Action == "sts:GetWebIdentityToken") AddWebIdentityTokenKeys(request, i);
        },
        // "No permissions are required to perform this operation", even under an explicit deny, as AWS documents it.
        unauthorized: new HashSet<string>(StringComparer.Ordinal) { "GetCallerIdentity" })
    {
        { ["AssumeRole", "AssumeRoleWithSAML"], i => i.String("RoleArn") ?? "*" },
    };

    /// <summary>
    /// GetWebIdentityToken's own condition keys: the audiences (multivalued, for ForAnyValue/ForAllValues), the signing
    /// algorithm, and the token's lifetime, the default 300 seconds when the request names none.
    /// </summary>
    private static void AddWebIdentityTokenKeys(RequestContext request, OperationInput input)
    {
        request.With("sts:IdentityTokenAudience", input.Strings("Audience"));
        if (input.String("SigningAlgorithm") is { } algorithm) request.With("sts:SigningAlgorithm", algorithm);
        request.With("sts:DurationSeconds", (input.Int("DurationSeconds") ?? WebIdentityTokenRequest.DefaultDurationSeconds).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The condition keys an AssumeRole request carries: sts:RoleSessionName, sts:ExternalId, and its session tags as aws:RequestTag and aws:TagKeys.</summary>
    public static RequestContext AddAssumeRoleKeys(RequestContext request, string? sessionName, string? externalId, IReadOnlyDictionary<string, string> tags)
    {
        if (sessionName is not null) request.With("sts:RoleSessionName", sessionName);
        if (externalId is not null) request.With("sts:ExternalId", externalId);
        foreach (var tag in tags) request.With($"aws:RequestTag/{tag.Key}", tag.Value);
        if (tags.Count > 0) request.With("aws:TagKeys", [.. tags.Keys]);
        return request;
    }
}
