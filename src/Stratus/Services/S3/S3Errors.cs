using System.Globalization;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols;

namespace Stratus.Services.S3;

/// <summary>S3's errors with the codes, statuses, messages and extra elements S3 itself answers.</summary>
public static class S3Errors
{
    private static AwsException Error(string code, string message, int status, params (string Name, string Value)[] fields) =>
        new(code, message, status) { Fields = fields.Length == 0 ? null : fields.ToDictionary(f => f.Name, f => f.Value) };

    public static AwsException NoSuchBucket(string bucket) => Error("NoSuchBucket", "The specified bucket does not exist", 404, ("BucketName", bucket));
    public static AwsException NoSuchKey(string key) => Error("NoSuchKey", "The specified key does not exist.", 404, ("Key", key));
    public static AwsException NoSuchVersion(string key, string versionId) =>
        Error("NoSuchVersion", "The specified version does not exist.", 404, ("Key", key), ("VersionId", versionId));
    public static AwsException InvalidVersionId(string versionId) =>
        Error("InvalidArgument", "Invalid version id specified", 400, ("ArgumentName", "versionId"), ("ArgumentValue", versionId));
    public static AwsException BucketAlreadyOwnedByYou(string bucket) =>
        Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409, ("BucketName", bucket));
    public static AwsException BucketAlreadyExists(string bucket) =>
        Error("BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", 409, ("BucketName", bucket));
    public static AwsException BucketNotEmpty(string bucket) => Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, ("BucketName", bucket));
    public static AwsException InvalidBucketName(string bucket) => Error("InvalidBucketName", "The specified bucket is not valid.", 400, ("BucketName", bucket));
    public static AwsException KeyTooLong(int length) =>
        Error("KeyTooLongError", "Your key is too long", 400, ("Size", length.ToString()), ("MaxSizeAllowed", S3Rules.MaxKeyBytes.ToString()));
    public static AwsException EntityTooLarge(long proposed, long max) =>
        Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400, ("ProposedSize", proposed.ToString()), ("MaxSizeAllowed", max.ToString()));
    public static AwsException EntityTooSmall(long proposed) =>
        Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
            ("ProposedSize", proposed.ToString()), ("MinSizeAllowed", S3Rules.MinPartBytes.ToString()));
    public static AwsException InvalidDigest(string md5) => Error("InvalidDigest", "The Content-MD5 you specified was invalid.", 400, ("Content-MD5", md5));
    public static AwsException BadDigest(string expectedMd5, string calculated) =>
        Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400, ("ExpectedDigest", expectedMd5), ("CalculatedDigest", calculated));
    public static AwsException BadChecksum(string algorithm) =>
        Error("BadDigest", $"The {algorithm} you specified did not match the calculated checksum.", 400);
    public static AwsException InvalidChecksumHeader(string header) => InvalidRequest($"Value for {header} header is invalid.");
    public static AwsException ContentSha256Mismatch(string provided, string computed) =>
        Error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 400,
            ("ClientComputedContentSHA256", provided), ("S3ComputedContentSHA256", computed));
    public static AwsException IncompleteBody() => Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", 400);
    public static AwsException MissingContentLength() => Error("MissingContentLength", "You must provide the Content-Length HTTP header.", 411);
    public static AwsException InvalidRange(string range, long size) =>
        Error("InvalidRange", "The requested range is not satisfiable", 416, ("RangeRequested", range), ("ActualObjectSize", size.ToString()));
    public static AwsException PreconditionFailed(string condition) =>
        Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, ("Condition", condition));
    /// <summary>304 carries no body; the protocol writes none for it.</summary>
    public static AwsException NotModified() => Error("NotModified", "Not Modified", 304);
    public static AwsException NoSuchUpload(string uploadId) =>
        Error("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", 404, ("UploadId", uploadId));
    public static AwsException InvalidPart(int partNumber, string etag) =>
        Error("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400,
            ("PartNumber", partNumber.ToString()), ("ETag", etag));
    public static AwsException InvalidPartOrder() =>
        Error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400);
    public static AwsException SignatureDoesNotMatch(string detail) =>
        Error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method. " + detail, 403);
    /// <summary>S3's answer when the request body stops before its Content-Length and the wait times out, or breaks mid-stream.</summary>
    public static AwsException BodyUnreadable(BadHttpRequestException e) => e.StatusCode == StatusCodes.Status408RequestTimeout
        ? Error("RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.", 400)
        : Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", 400);

    public static AwsException AccessDenied(string message = "Access Denied") => Error("AccessDenied", message, 403);
    public static AwsException MethodNotAllowed(string method, string resourceType) =>
        Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, ("Method", method), ("ResourceType", resourceType));
    public static AwsException InvalidArgument(string message, string name, string value) =>
        Error("InvalidArgument", message, 400, ("ArgumentName", name), ("ArgumentValue", value));
    public static AwsException InvalidRequest(string message) => Error("InvalidRequest", message, 400);
    // ACLs, as S3 refuses them (Object Ownership, the grant headers, the AccessControlPolicy document).
    public static AwsException AccessControlListNotSupported() => Error("AccessControlListNotSupported", "The bucket does not allow ACLs", 400);
    public static AwsException InvalidBucketAclWithObjectOwnership() =>
        Error("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400);
    public static AwsException MissingSecurityHeader(string header) =>
        Error("MissingSecurityHeader", "Your request was missing a required header", 400, ("MissingHeaderName", header));
    public static AwsException InvalidBucketAclWithBlockPublicAccess() =>
        Error("InvalidBucketAclWithBlockPublicAccessError", "Bucket cannot have public ACLs set with BlockPublicAccess enabled", 400);
    /// <summary>
    /// An emailAddress grantee: S3 stopped accepting new e-mail grants on October 1, 2025 (before, only eight regions resolved
    /// them) and answers 405; its documentation names the status only, so the message is S3's usual one for a 405.
    /// </summary>
    public static AwsException EmailGranteeDiscontinued() => Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405);
    public static AwsException CannedAclWithGrants() => InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed");
    public static AwsException MalformedAcl() =>
        Error("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", 400);
    public static AwsException AclBodyWithHeaders() => Error("UnexpectedContent", "This request does not support content", 400);
    public static AwsException MalformedXml() =>
        Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
    public static AwsException MalformedPolicy(string message) => Error("MalformedPolicy", message, 400);
    public static AwsException InvalidTag(string message) => Error("InvalidTag", message, 400);
    public static AwsException NoSuchBucketPolicy(string bucket) => Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404, ("BucketName", bucket));
    public static AwsException NoSuchLifecycleConfiguration(string bucket) =>
        Error("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404, ("BucketName", bucket));
    public static AwsException NoSuchTagSet(string bucket) => Error("NoSuchTagSet", "The TagSet does not exist", 404, ("BucketName", bucket));
    public static AwsException NoSuchCorsConfiguration(string bucket) =>
        Error("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404, ("BucketName", bucket));
    public static AwsException ServerSideEncryptionConfigurationNotFoundError(string bucket) =>
        Error("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 404, ("BucketName", bucket));
    public static AwsException NoSuchPublicAccessBlockConfiguration(string bucket) =>
        Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404, ("BucketName", bucket));
    /// <summary>S3 Control's answer for an account without a Block Public Access configuration.</summary>
    public static AwsException NoSuchAccountPublicAccessBlockConfiguration(string accountId) =>
        Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404, ("AccountId", accountId));
    public static AwsException OwnershipControlsNotFoundError(string bucket) =>
        Error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404, ("BucketName", bucket));
    public static AwsException NoSuchWebsiteConfiguration(string bucket) =>
        Error("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", 404, ("BucketName", bucket));
    public static AwsException IllegalLocationConstraint(string constraint, string region) =>
        Error("IllegalLocationConstraintException",
            $"The {(constraint.Length == 0 ? "unspecified" : constraint)} location constraint is incompatible for the region specific endpoint this request was sent to.", 400);
    public static AwsException InvalidLocationConstraint(string constraint) =>
        Error("InvalidLocationConstraint", "The specified location-constraint is not valid", 400, ("LocationConstraint", constraint));
    /// <summary>What S3 answers for a subresource or header it does not implement; Stratus says which.</summary>
    public static AwsException NotImplemented(string what) =>
        Error("NotImplemented", $"A header you provided implies functionality that is not implemented ({what} is not implemented by Stratus's S3).", 501);

    public static AwsException CorsOriginMissing() => Error("BadRequest", "Insufficient information. Origin request header needed.", 400);
    public static AwsException CorsMethodMissing() =>
        Error("BadRequest", "Insufficient information. Access-Control-Request-Method request header needed.", 400);
    public static AwsException CorsNotEnabled() => Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", 403);
    /// <summary>S3's own wording, its misspelling included.</summary>
    public static AwsException CorsNotAllowed() => Error("AccessForbidden",
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.", 403);

    /// <summary>An operation of S3's model Stratus does not serve, named with why (S3NotServed).</summary>
    public static AwsException OperationNotServed(string operation, string reason) =>
        Error("NotImplemented", $"Stratus does not serve the S3 operation {operation}: {reason}.", 501);

    public static AwsException ObjectLockConfigurationNotFound(string bucket) =>
        Error("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", 404, ("BucketName", bucket));

    /// <summary>What S3 answers for an object's retention or legal hold in a bucket without object lock (every bucket on Stratus).</summary>
    public static AwsException MissingObjectLockConfiguration() => InvalidRequest("Bucket is missing Object Lock Configuration");

    public static AwsException MetadataTooLarge(long size, long maxSizeAllowed) =>
        Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size", 400,
            ("Size", size.ToString(CultureInfo.InvariantCulture)), ("MaxSizeAllowed", maxSizeAllowed.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Stratus's own store names a blob it could not have written: its fault, not the caller's.</summary>
    public static AwsException InvalidStoredBlob() => new("InternalError", "A stored object names an invalid blob.", 500);
}
