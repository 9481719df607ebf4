using Stratus.Protocols;

namespace Stratus.Services.Lambda;

/// <summary>
/// Every error Lambda answers with, named for what went wrong, worded as AWS words it. Lambda marks the
/// caller's faults with an X-Amzn-ErrorType "Type: User" field, as its own service does.
/// </summary>
public static class LambdaErrors
{
    /// <summary>Smithy's "1 validation error detected" wording under Lambda's ValidationException.</summary>
    public static readonly ValidationStyle Validation = ValidationStyle.Smithy;

    private static readonly IReadOnlyDictionary<string, string> UserFault = new Dictionary<string, string> { ["Type"] = "User" };
    private static readonly IReadOnlyDictionary<string, string> ServiceFault = new Dictionary<string, string> { ["Type"] = "Service" };

    private static AwsException InvalidParameter(string message) => new("InvalidParameterValueException", message) { Fields = UserFault };

    public static AwsException RuntimeAndHandlerRequired() =>
        InvalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.");

    public static AwsException RuntimeAndHandlerNotForImages() =>
        InvalidParameter("Runtime and Handler are not supported for functions created with container images.");

    public static AwsException VpcConfigIncomplete() => InvalidParameter("SubnetIds and SecurityIds must coexist or be both empty list.");

    /// <summary>Lambda checks VpcConfig through EC2 and carries EC2's error code and message inside its own.</summary>
    public static AwsException SubnetNotFound(string id) => InvalidParameter(
        $"Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID '{id}' does not exist");

    public static AwsException SecurityGroupNotFound(string id) => InvalidParameter(
        $"Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group '{id}' does not exist");

    public static AwsException VpcConfigSpansVpcs(IEnumerable<string> vpcs) => InvalidParameter(
        $"The subnets and security groups of a function's VpcConfig must all be in one VPC; they are in {string.Join(", ", vpcs.Order(StringComparer.Ordinal))}.");

    public static AwsException CodeSourceMissing() => InvalidParameter("Please provide a source for function code.");

    public static AwsException UpdateCodeSourceMissing() =>
        InvalidParameter("Please provide ZipFile or S3Bucket and S3Key, or ImageUri for PackageType Image functions.");

    public static AwsException ImageUriRequired() => InvalidParameter("Please provide ImageUri when creating a function with packageType Image.");

    public static AwsException ImageUriRequiredForUpdate() => InvalidParameter("Please provide ImageUri when updating a function with packageType Image.");

    public static AwsException ImageUriNotForZip() => InvalidParameter("Please don't provide ImageUri when creating a function with packageType Zip.");

    public static AwsException LatestNotDeletable() => InvalidParameter("$LATEST version cannot be deleted without deleting the function.");

    public static AwsException CodeSha256Mismatch(string given, string latest) =>
        InvalidParameter($"CodeSHA256 ({given}) is different from current CodeSHA256 in $LATEST ({latest}). Please try again with the CodeSHA256 in $LATEST.");

    public static AwsException UnreservedBelowMinimum(int minimum) =>
        InvalidParameter($"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{minimum}].");

    public static AwsException ProvisionedOnUnpublished() =>
        InvalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");

    public static AwsException ProvisionedAboveReserved() =>
        InvalidParameter("Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function");

    /// <summary>AWS keeps an alias's provisioned environments on one version, so an alias that splits traffic cannot have them.</summary>
    public static AwsException ProvisionedOnWeightedAlias() =>
        InvalidParameter("Alias with weights can not be used with Provisioned Concurrency");

    public static AwsException ProvisionedAliasOnProvisionedVersion() =>
        new("ResourceConflictException", "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version", 409) { Fields = UserFault };

    public static AwsException ProvisionedVersionUnderProvisionedAlias() =>
        new("ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias", 409) { Fields = UserFault };

    public static AwsException ProvisionedBelowUnreservedMinimum(int minimum) =>
        InvalidParameter($"Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{minimum}].");

    public static AwsException ReservedBelowProvisioned(int provisioned) =>
        InvalidParameter($"Specified ReservedConcurrentExecutions for function is less than the function's total provisioned concurrency of [{provisioned}].");

    public static AwsException ProvisionedConcurrencyConfigNotFound() =>
        new("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function", 404) { Fields = UserFault };

    public static AwsException RuntimeVersionArnRequired() =>
        InvalidParameter("RuntimeVersionArn is required when UpdateRuntimeOn is set to Manual.");

    public static AwsException RuntimeVersionArnOnlyForManual(string updateRuntimeOn) =>
        InvalidParameter($"RuntimeVersionArn can only be set when UpdateRuntimeOn is Manual, not {updateRuntimeOn}.");

    public static AwsException QualifierMismatch() => InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.");

    public static AwsException DeprecatedRuntime(string runtime, string replacement) =>
        InvalidParameter($"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime ({replacement}) while creating or updating functions.");

    /// <summary>Lambda refuses an unknown runtime as InvalidParameterValueException, in the Smithy wording, naming the runtimes it runs.</summary>
    public static AwsException UnknownRuntime(string runtime, IEnumerable<string> known) =>
        InvalidParameter($"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", known)}] or be a valid ARN");

    public static AwsException ReservedEnvironmentKeys(IEnumerable<string> keys) =>
        InvalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys " +
            $"that are currently not supported for modification. Reserved keys used in this request: {string.Join(", ", keys)}");

    public static AwsException EnvironmentTooLarge(string measured) =>
        InvalidParameter($"Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}");

    public static AwsException RoleNotAssumable() => InvalidParameter("The role defined for the function cannot be assumed by Lambda.");

    public static AwsException LayersNotForImages() => InvalidParameter("Layers are not supported for functions created with container images.");

    public static AwsException TooManyLayers(int max) => InvalidParameter($"Cannot reference more than {max} layers.");

    public static AwsException LayerVersionNotFound(string arn) => InvalidParameter($"Layer version {arn} does not exist.");

    public static AwsException SameLayerTwice(string first, string second) =>
        InvalidParameter($"Two different versions of the same layer are not allowed to be referenced in the same function. {first} and {second} are versions of the same layer.");

    public static AwsException CodeAndLayersTooLarge(long max, long actual) =>
        InvalidParameter($"Function code combined with layers exceeds the maximum allowed size of {max} bytes. The actual size is {actual} bytes.");

    /// <summary>Stratus does not build the Extensions API, so a layer that brings extensions is refused before a function could rely on them.</summary>
    public static AwsException ExtensionsNotBuilt(string arn) =>
        InvalidParameter($"Layer {arn} contains extensions (/opt/extensions), but Stratus does not run Lambda extensions: the Extensions API is not built.");

    public static AwsException OrganizationNeedsAnyPrincipal() =>
        InvalidParameter("OrganizationId can only be specified when Principal is '*'.");

    // ---- durable functions (where AWS publishes no wording, the sentences are Stratus's) ----

    public static AwsException DurableNeedsQualifier(string functionArn) =>
        InvalidParameter($"The durable function {functionArn} must be invoked with a qualified ARN: a version, an alias or $LATEST.");

    public static AwsException DurableSyncTooLong(int executionTimeout) =>
        InvalidParameter($"A durable function whose ExecutionTimeout ({executionTimeout} seconds) exceeds 15 minutes (900 seconds) cannot be invoked synchronously; invoke it with InvocationType Event.");

    public static AwsException DurableExecutionAlreadyStarted(string name) =>
        new("DurableExecutionAlreadyStartedException", $"A durable execution named {name} has already started with a different input.", 409) { Fields = UserFault };

    public static AwsException DurableExecutionNotFound(string arn) =>
        new("ResourceNotFoundException", $"Durable execution not found: {arn}", 404) { Fields = UserFault };

    /// <summary>CheckpointDurableExecution and GetDurableExecutionState declare no ResourceNotFoundException: an unknown execution is an invalid parameter.</summary>
    public static AwsException DurableExecutionInvalid(string arn) => InvalidParameter($"Invalid durable execution ARN: {arn}");

    /// <summary>The SDKs match "Invalid checkpoint token" to retry the invocation with a fresh token.</summary>
    public static AwsException InvalidCheckpointToken() => InvalidParameter("Invalid checkpoint token");

    public static AwsException DurableExecutionEnded(string arn, string status) =>
        InvalidParameter($"The durable execution {arn} is not running: it is {status}.");

    public static AwsException TooManyOperations(int limit) =>
        InvalidParameter($"A durable execution can hold at most {limit} operations in Stratus.");

    public static AwsException InvalidOperationUpdate(OperationUpdate update, string problem) =>
        InvalidParameter($"Invalid operation update {update.Action} for {update.Type} operation {update.Id}: {problem}.");

    public static AwsException InvalidMarker(string marker) => InvalidParameter($"Invalid marker: {marker}");

    public static AwsException CallbackNotFound(string callbackId) => InvalidParameter($"Invalid callback id: {callbackId}");

    public static AwsException CallbackTimedOut(string callbackId) =>
        new("CallbackTimeoutException", $"The callback {callbackId} has timed out.", 400) { Fields = UserFault };

    public static AwsException CallbackAlreadyClosed(string callbackId, string status) =>
        InvalidParameter($"The callback {callbackId} is no longer open: it is {status}.");

    public static AwsException NotServed(string operation, string reason) =>
        InvalidParameter($"Stratus does not serve the Lambda operation {operation}: {reason}");

    /// <summary>AWS's words when ApplicationLogLevel or SystemLogLevel comes with the Text log format.</summary>
    public static AwsException LogLevelNeedsJson() => InvalidParameter(
        "LogLevel is not supported when LogFormat is set to \"Text\". Remove LogLevel from your request or change the LogFormat to \"Json\" and try again.");

    /// <summary>A dead-letter queue is an SQS queue or SNS topic, neither of which Stratus serves.</summary>
    public static AwsException DeadLetterNotServed(string targetArn) =>
        InvalidParameter($"The DeadLetterConfig target {targetArn} is an SQS queue or SNS topic, which Stratus does not serve; use an OnFailure destination (a Lambda function or an EventBridge event bus) instead.");

    /// <summary>A CreateFunction or UpdateFunctionConfiguration member for a feature Stratus does not run.</summary>
    public static AwsException MemberNotServed(string member) => InvalidParameter(member switch
    {
        "FileSystemConfigs" => "Stratus does not serve FileSystemConfigs: it serves neither Amazon EFS nor Amazon S3 Files access points to mount.",
        "CapacityProviderConfig" => "Stratus does not serve CapacityProviderConfig: Lambda Managed Instances capacity providers are not served.",
        "PublishTo" => "Stratus does not serve PublishTo: it belongs to Lambda Managed Instances capacity providers, which are not served.",
        "TenancyConfig" => "Stratus does not serve TenancyConfig: tenant isolation mode is not served.",
        _ => $"Stratus does not serve {member}.",
    });

    /// <summary>SnapStart runs on Java 11 and later, Python 3.12 and later and .NET 8 and later, as AWS documents.</summary>
    public static AwsException SnapStartRuntime(string? runtime) =>
        InvalidParameter($"{runtime ?? "A container image function"} does not support SnapStart. SnapStart supports Java 11 and later, Python 3.12 and later and .NET 8 and later managed runtimes.");

    public static AwsException EventInvokeConfigNotFound(string qualifiedArn) =>
        new("ResourceNotFoundException", $"The function {qualifiedArn} doesn't have an EventInvokeConfig", 404) { Fields = UserFault };

    /// <summary>Stratus delivers invocation records to Lambda functions and event buses; the other destination services are not served.</summary>
    public static AwsException DestinationNotServed(string destination, string service) =>
        InvalidParameter($"The destination {destination} is a {service} resource, which Stratus does not serve: Stratus delivers invocation records to Lambda functions and EventBridge event buses.");

    public static AwsException DestinationInvalid(string destination) =>
        InvalidParameter($"The destination ARN {destination} is invalid: no such Lambda function or event bus in this account and region.");

    public static AwsException RoutingWithLatest() => InvalidParameter("$LATEST is not supported for an alias pointing to more than 1 version");

    public static AwsException RoutingRepeatsVersion(string version) =>
        InvalidParameter($"Invalid function version {version}. Function version {version} is already included in routing configuration.");

    public static AwsException RoutingWeightsOverOne() => InvalidParameter("The sum of the weights of the additional versions must not be greater than 1.");

    public static AwsException FunctionUrlExists(string arn) =>
        new("ResourceConflictException", $"Failed to create function url config for [functionArn = {arn}]. Error message:  FunctionUrlConfig exists for this Lambda function", 409) { Fields = UserFault };

    public static AwsException UrlQualifierNotAlias(string qualifier) =>
        InvalidParameter($"The qualifier {qualifier} is not an alias of the function: a function URL belongs to the function or to one of its aliases.");

    public static AwsException FunctionNotFound(string functionArn) =>
        new("ResourceNotFoundException", $"Function not found: {functionArn}", 404) { Fields = UserFault };

    public static AwsException AliasNotFound(string functionArn, string alias) =>
        new("ResourceNotFoundException", $"Alias not found: {functionArn}:{alias}", 404) { Fields = UserFault };

    public static AwsException StatementNotFound(string sid) =>
        new("ResourceNotFoundException", $"Statement {sid} is not found in resource policy.", 404) { Fields = UserFault };

    /// <summary>GetPolicy of a function with no policy, and a code download that is not there: AWS's generic not found.</summary>
    public static AwsException ResourceNotFound(bool userFault = true) =>
        new("ResourceNotFoundException", "The resource you requested does not exist.", 404) { Fields = userFault ? UserFault : null };

    public static AwsException FunctionExists(string name) =>
        new("ResourceConflictException", $"Function already exist: {name}", 409) { Fields = UserFault };

    public static AwsException AliasExists(string functionArn, string alias) =>
        new("ResourceConflictException", $"Alias already exists: {functionArn}:{alias}", 409) { Fields = UserFault };

    public static AwsException VersionHasAliases(IEnumerable<string> aliases) =>
        new("ResourceConflictException", $"Unable to delete version because the following aliases reference it: {string.Join(", ", aliases)}", 409) { Fields = UserFault };

    public static AwsException StatementExists(string sid) =>
        new("ResourceConflictException", $"The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement.", 409) { Fields = UserFault };

    public static AwsException RevisionMismatch() =>
        new("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", 412) { Fields = UserFault };

    public static AwsException InvokeDenied(string principal, string functionArn) =>
        new("AccessDeniedException", $"User: {principal} is not authorized to perform: lambda:InvokeFunction on resource: {functionArn} because no resource-based policy allows the lambda:InvokeFunction action", 403);

    public static AwsException PayloadTooLarge(int maxBytes) =>
        new("RequestTooLargeException", $"Request must be smaller than {maxBytes} bytes for the InvokeFunction operation", 413) { Fields = UserFault };

    public static AwsException PackageTooLarge(string operation) =>
        new("RequestEntityTooLargeException", $"Request must be smaller than 70167211 bytes for the {operation} operation", 413);

    public static AwsException UnzippedTooLarge(long maxBytes) => new("InvalidParameterValueException", $"Unzipped size must be smaller than {maxBytes} bytes");

    public static AwsException NotAZip() =>
        new("InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again.");

    /// <summary>
    /// Stratus's own disk failed while storing a package (full, read-only, an I/O error): Lambda's ServiceException (500),
    /// its error for its own faults, naming the storage and the system's reason; never the caller's InvalidParameterValue.
    /// </summary>
    public static AwsException CodeStorageFailed(string reason) =>
        new("ServiceException", $"The Lambda service could not store the deployment package on its disk: {reason}", 500) { Fields = ServiceFault };

    public static AwsException S3GetObjectFailed(string s3Code, string s3Message) =>
        new("InvalidParameterValueException", $"Error occurred while GetObject. S3 Error Code: {s3Code}. S3 Error Message: {s3Message}");

    public static AwsException UnsupportedInvocationType(string invocationType) =>
        new("InvalidParameterValueException", $"Unsupported invocation type: {invocationType}", 400) { Fields = UserFault };

    public static AwsException PayloadNotJson() =>
        new("InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a valid JSON value", 400) { Fields = UserFault };

    public static AwsException ClientContextNotJson() =>
        new("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.") { Fields = UserFault };

    /// <summary>An ImageUri that is not REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (one that names no image is ECR's ImageUriNotFound).</summary>
    public static AwsException ImageUriInvalid(string imageUri) => InvalidParameter($"Source image {imageUri} is not valid. Provide a valid source image.");

    /// <summary>An image not built for linux on the function's architecture: AWS's words for an image it cannot run.</summary>
    public static AwsException ImageNotSupported(string resolvedImageUri) =>
        InvalidParameter($"The image manifest, config or layer media type for the source image {resolvedImageUri} is not supported.");

    /// <summary>Stratus runs functions natively, so only on the machine's own architecture.</summary>
    public static AwsException ArchitectureNotRunnable(string machine, string resolvedImageUri, string architecture) =>
        InvalidParameter($"Stratus runs functions on this machine's architecture ({machine}) only; the image {resolvedImageUri} and the function are {architecture}.");

    /// <summary>Invoking a function whose image is still being unpacked (Pending) or failed to unpack, as AWS answers a function not yet Active.</summary>
    public static AwsException FunctionNotActive(string state) =>
        new("ResourceConflictException", $"The operation cannot be performed at this time. The function is currently in the following state: {state}", 409) { Fields = UserFault };

    /// <summary>An image function on a machine without the sandbox images need; <paramref name="reason"/> names what is missing.</summary>
    public static AwsException ImageSandboxUnavailable(string reason) => new("InvalidRuntimeException", reason, 502) { Fields = UserFault };

    public static AwsException RuntimeNotRunnable(string? runtime, IEnumerable<string> runnable) =>
        new("InvalidRuntimeException", $"Stratus does not run the {runtime} runtime; it runs {string.Join(", ", runnable)}.", 502) { Fields = UserFault };

    /// <summary>
    /// KMS refused the grant Lambda asks for when a function is given a KMSKeyArn (a key that does not exist, an alias, a key
    /// pending deletion): AWS answers CreateFunction and UpdateFunctionConfiguration with KMS's code and message inside its own.
    /// </summary>
    public static AwsException KmsKeyNotGrantable(AwsException kms) => InvalidParameter(
        $"Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: {kms.Code} KMS Message: {kms.Message}");

    /// <summary>
    /// An invoke of a function whose KMSKeyArn no longer decrypts: AWS's 502 for the key's state, with KMS's code and message
    /// run together after "KMS Exception:" as AWS writes them.
    /// </summary>
    public static AwsException EnvironmentNotDecryptable(AwsException kms)
    {
        var (code, reason) = kms.Code switch
        {
            "DisabledException" => ("KMSDisabledException", "the KMS key used is disabled"),
            "NotFoundException" => ("KMSNotFoundException", "the KMS key was not found"),
            _ => ("KMSInvalidStateException", "the state of the KMS key used is not valid for Decrypt"),
        };
        return new(code, $"Lambda was unable to decrypt the environment variables because {reason}. Please check the function's KMS key settings. KMS Exception: {kms.Code}KMS Message: {kms.Message}", 502)
            { Fields = UserFault };
    }

    /// <summary>
    /// A function's key refused to encrypt its variables (disabled, pending deletion). AWS words the grant's refusal so and
    /// the access-denied case "unable to encrypt your environment variables"; this sentence for a key's state is Stratus's, after them.
    /// </summary>
    public static AwsException EnvironmentNotEncryptable(AwsException kms) => InvalidParameter(
        $"Lambda was unable to encrypt your environment variables because the KMS key is invalid for Encrypt. Please check your KMS key settings. KMS Exception: {kms.Code} KMS Message: {kms.Message}");

    public static AwsException CodeSigningConfigNotFound(string arn) =>
        new("CodeSigningConfigNotFoundException", $"The specified code signing configuration does not exist: {arn}.", 404) { Fields = UserFault };

    public static AwsException CodeSigningNotForImages() =>
        InvalidParameter("Code signing is not supported for functions created with container images.");

    /// <summary>
    /// A deployment an Enforce code signing config refuses: AWS's words for a package whose signature does not validate
    /// (Stratus serves no AWS Signer, so no package has one).
    /// </summary>
    public static AwsException CodeVerificationFailed(string functionName) =>
        new("CodeVerificationFailedException", $"Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept. Check the provided signature for {functionName}.", 400) { Fields = UserFault };

    /// <summary>AWS documents that a config is deleted "only if no function is using it"; the sentence is Stratus's.</summary>
    public static AwsException CodeSigningConfigInUse(string arn) =>
        new("ResourceConflictException", $"The code signing configuration {arn} cannot be deleted because one or more functions use it.", 409) { Fields = UserFault };

    /// <summary>Another service invoked a function before Lambda was built (at start-up): retryable, as AWS's 503s are.</summary>
    public static AwsException Starting() => new("ServiceUnavailableException", "Lambda is starting; try again.", 503);
}
