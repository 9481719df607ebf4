using Microsoft.AspNetCore.Http;
using Stratus.Host;
using Stratus.Protocols;
using Stratus.Services.Ecr;

namespace Stratus.Services.Iam.Engine;

/// <summary>
/// `--auth enforce` for ECR's registry endpoints: a registry login stands for the access key that called
/// GetAuthorizationToken, so each pull or push is that key's principal taking an ECR action on the
/// repository, decided as the API's calls are (identity policies, the repository policy, boundaries, sessions).
/// </summary>
public sealed class RegistryAuthorizer(CredentialResolver credentials, RequestAuthorizer authorizer) : IRegistryAuthorizer
{
    public string? Refusal(HttpContext http, string accessKeyId, Scope scope, string action, string repositoryArn) =>
        credentials.Find(accessKeyId) is { } caller
            ? authorizer.Refusal(http, caller, scope.Region, "ecr", action, repositoryArn)
            // The key was deleted (or its session ended) since the login was issued: it stands for no one now.
            : $"The access key {accessKeyId} this login was issued to no longer exists";
}
