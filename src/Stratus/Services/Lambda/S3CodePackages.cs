using Stratus.Protocols;
using Stratus.Services.Lambda.Engine;
using Stratus.Services.S3;

namespace Stratus.Services.Lambda;

/// <summary>
/// Deployment packages named by S3Bucket/S3Key/S3ObjectVersion, read from Stratus's S3 through its
/// domain, for CreateFunction and UpdateFunctionCode and for AWS::Lambda::Function alike. An object
/// that cannot be read is refused with Lambda's own wording of S3's error.
/// </summary>
public sealed class S3CodePackages(IS3ObjectReader s3)
{
    public byte[] Read(Scope scope, string bucket, string key, string? versionId, string operation)
    {
        try
        {
            return s3.ReadObject(scope, bucket, key, versionId, CodeStore.MaxZippedBytes, _ => LambdaErrors.PackageTooLarge(operation));
        }
        catch (AwsException e) when (e.Code is not ("RequestEntityTooLargeException" or "InvalidParameterValueException"))
        {
            throw LambdaErrors.S3GetObjectFailed(e.Code, e.Message);
        }
    }
}
