using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Services.CloudFormation.Resources;

/// <summary>The call context a provider hands to a service's domain code: the stack's account and region, with no HTTP request behind it.</summary>
public static class ServiceCall
{
    public static CallContext Of(ResourceRequest request) => new()
    {
        AccountId = request.AccountId,
        Region = request.Region,
        RequestId = Guid.NewGuid().ToString(),
        Http = new DefaultHttpContext(),
    };

    /// <summary>Runs a delete, treating "not found" as already deleted, as providers' DeleteAsync promises.</summary>
    public static void DeleteIfPresent(Action delete, params string[] notFoundCodes)
    {
        try
        {
            delete();
        }
        catch (AwsException e) when (notFoundCodes.Contains(e.Code))
        {
            // Already gone: nothing left to delete.
        }
    }
}
