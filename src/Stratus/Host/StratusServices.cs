using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Protocols.Jwt;
using Stratus.Protocols.SigV4;
using Stratus.Services.ApiGateway;
using Stratus.Services.ApiGateway.CloudFormation;
using Stratus.Services.ApiGateway.Engine;
using Stratus.Services.ApiGatewayV2;
using Stratus.Services.ApiGatewayV2.CloudFormation;
using Stratus.Services.ApiGatewayV2.Engine;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Engine;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudWatch;
using Stratus.Services.CloudWatch.CloudFormation;
using Stratus.Services.Ec2;
using Stratus.Services.Ec2.CloudFormation;
using Stratus.Services.Ecr;
using Stratus.Services.Ecr.CloudFormation;
using Stratus.Services.Events;
using Stratus.Services.Events.CloudFormation;
using Stratus.Services.Events.Engine;
using Stratus.Services.Iam;
using Stratus.Services.Iam.CloudFormation;
using Stratus.Services.Iam.Engine;
using Stratus.Services.Kms;
using Stratus.Services.Kms.CloudFormation;
using Stratus.Services.Lambda;
using Stratus.Services.Lambda.CloudFormation;
using Stratus.Services.Lambda.Engine;
using Stratus.Services.Logs;
using Stratus.Services.Logs.CloudFormation;
using Stratus.Services.Rds;
using Stratus.Services.Rds.CloudFormation;
using Stratus.Services.Rds.Engine;
using Stratus.Services.S3;
using Stratus.Services.S3.CloudFormation;
using Stratus.Services.S3.Engine;
using Stratus.Services.S3Control;
using Stratus.Services.SecretsManager;
using Stratus.Services.SecretsManager.CloudFormation;
using Stratus.Services.Ssm;
using Stratus.Services.Ssm.CloudFormation;
using Stratus.Services.RdsData;
using Stratus.Services.Sts;
using Stratus.WebConsole;

namespace Stratus.Host;

/// <summary>
/// The composition root: builds each service's domain, wires services to each other through their
/// domain interfaces (never over HTTP), and owns their lifetimes.
/// </summary>
public sealed class StratusServices : IAsyncDisposable
{
    private readonly StateStore _store;
    private readonly string? _ephemeralWorkDir;
    private readonly RuleScheduler _eventsScheduler;

    private StratusServices(StateStore store, string? ephemeralWorkDir, RuleScheduler eventsScheduler)
    {
        _store = store;
        _ephemeralWorkDir = ephemeralWorkDir;
        _eventsScheduler = eventsScheduler;
    }

    public required IReadOnlyList<IStratusService> All { get; init; }
    /// <summary>Non-AWS-API traffic on the endpoint (API Gateway invoke URLs), served before the request router.</summary>
    public required IReadOnlyList<IRequestInterceptor> Interceptors { get; init; }
    public required CredentialResolver Credentials { get; init; }
    public required IamService Iam { get; init; }
    /// <summary>What --auth enforce authorizes each service's operations against: their &lt;S&gt;Authorization tables, by signing name.</summary>
    public ResourceAuthorizations Authorizations { get; init; } = ResourceAuthorizations.None;
    public required StsService Sts { get; init; }
    public required RdsService Rds { get; init; }
    public required LambdaService Lambda { get; init; }
    /// <summary>ECR, and the images Lambda resolves and unpacks through <see cref="IImageRegistry"/>.</summary>
    public required EcrService Ecr { get; init; }
    public required ApiGatewayService ApiGateway { get; init; }
    public required ApiGatewayV2Service ApiGatewayV2 { get; init; }
    /// <summary>Custom domain names: the host's TLS asks a client for its certificate when its SNI names one with mutual TLS.</summary>
    public required CustomDomainNames CustomDomains { get; init; }
    public required CloudFormationService CloudFormation { get; init; }
    /// <summary>Where Lambda and API Gateway publish their metrics.</summary>
    public required CloudWatchService CloudWatch { get; init; }
    /// <summary>Where Lambda writes its functions' logs.</summary>
    public required LogsService Logs { get; init; }
    /// <summary>The pages for people under /_stratus/: each service's, and the console.</summary>
    public required IReadOnlyList<StratusPage> Pages { get; init; }

    public static StratusServices Compose(StratusOptions options, StateStore store, TimeProvider clock, ILoggerFactory logging, StratusAddress address)
    {
        ILogger Log(string name) => logging.CreateLogger("Stratus." + name);
        // Virtual MFA devices' seeds are sealed at rest under IAM's own key file, as Secrets Manager seals its values.
        var iam = new IamService(store, clock, SealingKey.FromFile(options.DataDir is null ? null : Path.Combine(options.DataDir, "iam-mfa.key")));
        // Issuers' signing keys, shared by API Gateway's JWT authorizers and STS's AssumeRoleWithWebIdentity.
        var jwksKeys = new JwksKeys(IntegrationEngine.CreateHttpClient(), clock, JwksKeys.AllowedFromEnvironment());
        // Outbound identity federation: IAM switches it per account, STS signs GetWebIdentityToken's tokens with its keys (sealed
        // under their own key file, as KMS seals its key material), and its issuer documents are served on Stratus's own address.
        var outboundFederation = new OutboundWebIdentityFederation(store,
            SealingKey.FromFile(options.DataDir is null ? null : Path.Combine(options.DataDir, "sts-token-keys.key")), address);
        var sts = new StsService(store, clock, iam, jwksKeys, outboundFederation);
        var sources = new List<ICredentialSource> { iam, sts };
        if (options.RootKey is { } root) sources.Insert(0, new RootCredentialSource(root.AccessKeyId, root.SecretAccessKey));

        // CloudWatch and Logs are built before Lambda (which publishes its metrics and logs into them); alarm actions and subscriptions reach Lambda
        // through this invoker, which resolves it at the first action, by when Compose has built it.
        LambdaService? lambda = null;
        var deferredLambda = new DeferredLambdaInvoker(() => lambda);
        LogsService? logsForInsightRules = null;
        var cloudWatch = new CloudWatchService(store, clock, deferredLambda, Log("cloudwatch"), logEvents: () => logsForInsightRules);
        // Logs delivers subscriptions to Lambda and exports to S3, both built after it (Lambda writes its logs into Logs).
        S3Service? s3ForExports = null;
        // Built before Logs (whose log groups are encrypted under its keys) and Lambda, which checks functions' KMSKeyArn against it (IKmsKeyUse).
        var kms = new KmsService(store, clock, options.DataDir is null ? null : Path.Combine(options.DataDir, "kms-keys.key"));
        var logs = new LogsService(store, clock, cloudWatch, Log("logs"), deferredLambda, () => s3ForExports, kms, kms, iam);
        logsForInsightRules = logs;

        // Function code, runtime clients and registry blobs live under the data dir; an ephemeral Stratus uses a temp dir it removes on shutdown
        // (and the next one removes, should this one be killed).
        var ephemeralWorkDir = options.DataDir is null ? OwnedTempDirectory.Create("stratus-ephemeral-") : null;
        var workDir = ephemeralWorkDir ?? options.DataDir!;
        // Built before Lambda, which resolves and unpacks image functions through it (IImageRegistry).
        var ecr = new EcrService(store, clock, Path.Combine(workDir, "ecr"), EcrSettings.FromEnvironment(), address, Log("ecr"));
        // Built before RDS and Lambda, which place DB instances and functions in its subnets and security groups (IVpcNetwork).
        var ec2 = new Ec2Service(store, clock);
        lambda = LambdaService.Start(store, clock, iam, sts, logs, cloudWatch, ecr,
            Path.Combine(workDir, "lambda"), LambdaSettings.FromEnvironment(), address, ec2, kms, kms);

        var secretsManager = new SecretsManagerService(store, clock, options.DataDir, lambda, Log("secretsmanager.rotation"));
        var rds = new RdsService(store, clock, new IDbEngine?[] { MariaDbInstallation.Find(), PostgresInstallation.Find() }.OfType<IDbEngine>().ToList(), options.DataDir, options.Host, secretsManager, Log("rds.engine"), ec2, iam);
        rds.PublishMetrics(cloudWatch);
        var rdsData = new RdsDataService(rds, secretsManager, clock);

        var apiGateway = new ApiGatewayService(store, clock, options.DataDir);
        var apiGatewayThrottles = new GatewayThrottles(clock, AccountThrottle.FromEnvironment()); // one account-level throttle across REST and HTTP APIs, as AWS applies it
        var credentials = new CredentialResolver(sources);
        // Under --auth enforce a registry login stands for the key that asked for it (pulls and pushes are authorized as its
        // principal), and a signed Cache-Control: max-age=0 is execute-api:InvalidateCache by the key that signed it.
        var actionAuthorizer = options.Auth == AuthMode.Enforce
            ? new ActionAuthorizer(credentials, new RequestAuthorizer(iam, clock, new ResourceAuthorizations(new Dictionary<string, AuthorizationTable> { ["ecr"] = EcrAuthorization.Table(ecr) })))
            : null;
        // One execute-api signer check for REST methods, cache invalidations and the WebSocket management API.
        var executeApiSigners = new MethodRequestStage(credentials, new SigV4Verifier(clock), options.Auth, actionAuthorizer);
        var apiGatewayDataPlane = new ApiGatewayDataPlane(apiGateway, executeApiSigners,
            new LambdaAuthorizer(lambda, clock), new IntegrationEngine(lambda, IntegrationEngine.CreateHttpClient(), clock,
                new BackendCertificates(apiGateway.OpenClientCertificate)),
            cloudWatch, logs, clock, apiGatewayThrottles, Log("apigateway.execute-api"));
        var apiGatewayV2 = new ApiGatewayV2Service(store, clock, address);
        apiGateway.MeterStagesOf(apiGatewayV2);
        var httpApiAuthorizers = new LambdaRequestAuthorizer(lambda, clock);
        var webSocketConnections = new WebSocketConnections(clock, executeApiSigners);
        var stageTelemetry = new StageTelemetry(cloudWatch, logs);
        var apiGatewayV2DataPlane = new ApiGatewayV2DataPlane(apiGatewayV2, executeApiSigners,
            new JwtAuthorizer(jwksKeys, clock),
            httpApiAuthorizers, new HttpApiIntegrations(lambda, IntegrationEngine.CreateHttpClient()),
            stageTelemetry, clock, apiGatewayThrottles, Log("apigatewayv2.execute-api"), new WebSocketSessions(apiGatewayV2, lambda,
                new WebSocketIntegrations(lambda, IntegrationEngine.CreateHttpClient()), webSocketConnections,
                new WebSocketAuthorization(executeApiSigners, httpApiAuthorizers, apiGateway), stageTelemetry, clock, Log("apigatewayv2.websocket")),
            webSocketConnections);
        // Custom domain names are one namespace for REST and HTTP APIs, served ahead of the execute-api forms.
        var s3 = new S3Service(store, clock, Path.Combine(workDir, "s3"), TimeSpan.FromHours(1), new BucketNotifications(lambda, Log("s3.notifications")));
        s3ForExports = s3;
        rds.ExportSnapshotsTo(s3, kms);
        // A mutual TLS domain's truststore is read from S3 when the domain is created or updated.
        var customDomains = new CustomDomainNames(store, clock, apiGateway, apiGatewayV2, s3);
        var customDomainDataPlane = new CustomDomainDataPlane(customDomains, apiGatewayDataPlane, apiGatewayV2DataPlane, apiGatewayV2,
            new ClientCertificateVerifier(clock));
        var portals = new PortalService(store, clock, address, apiGateway, apiGatewayV2);

        var ssm = new SsmService(store, clock, kms);
        var codePackages = new S3CodePackages(s3);
        var events = new EventsService(store, clock, lambda, cloudWatch, Log("events"));
        lambda.DeliverDestinationsTo(events);
        secretsManager.ReportRotationEventsTo(events);
        var eventsScheduler = new RuleScheduler(events, clock, Log("events.scheduler"));
        var lambdaCode = new LambdaFunctionCode(codePackages, options.LocalCodeRoot);
        var customResourceResponses = new CustomResourceResponses();
        var waitConditionSignals = new WaitConditionSignals(store);
        var cloudFormation = new CloudFormationService(store, clock, new ResourceProviders(
        [
            new IamRoleProvider(iam),
            new IamPolicyProvider(iam),
            new IamManagedPolicyProvider(iam),
            new IamUserProvider(iam),
            new IamGroupProvider(iam),
            new IamAccessKeyProvider(iam),
            new IamInstanceProfileProvider(iam),
            new IamOidcProviderProvider(iam),
            new IamServiceLinkedRoleProvider(iam),
            new IamUserToGroupAdditionProvider(iam),
            new IamVirtualMfaDeviceProvider(iam),
            new ApiGatewayRestApiProvider(apiGateway),
            new ApiGatewayResourceProvider(apiGateway),
            new ApiGatewayMethodProvider(apiGateway),
            new ApiGatewayDeploymentProvider(apiGateway),
            new ApiGatewayStageProvider(apiGateway),
            new ApiGatewayApiKeyProvider(apiGateway),
            new ApiGatewayClientCertificateProvider(apiGateway),
            new CustomDomainNameProvider(customDomains, "AWS::ApiGateway::DomainName"),
            new CustomDomainNameProvider(customDomains, "AWS::ApiGatewayV2::DomainName"),
            new DomainMappingProvider(customDomains, "AWS::ApiGateway::BasePathMapping"),
            new DomainMappingProvider(customDomains, "AWS::ApiGatewayV2::ApiMapping"),
            new RoutingRuleProvider(customDomains),
            new ApiGatewayUsagePlanProvider(apiGateway),
            new ApiGatewayUsagePlanKeyProvider(apiGateway),
            new ApiGatewayRequestValidatorProvider(apiGateway),
            new ApiGatewayModelProvider(apiGateway),
            new ApiGatewayGatewayResponseProvider(apiGateway),
            new ApiGatewayAuthorizerProvider(apiGateway),
            new RdsDbInstanceProvider(rds),
            new RdsDbClusterProvider(rds),
            new RdsDbClusterEndpointProvider(rds),
            new RdsDbProxyProvider(rds),
            new RdsDbProxyTargetGroupProvider(rds),
            new RdsDbProxyEndpointProvider(rds),
            new LogsLogGroupProvider(logs),
            new CloudWatchAlarmProvider(cloudWatch),
            new CloudWatchCompositeAlarmProvider(cloudWatch),
            new CloudWatchDashboardProvider(cloudWatch),
            new CloudWatchAnomalyDetectorProvider(cloudWatch),
            new CloudWatchInsightRuleProvider(cloudWatch),
            new LogsSubscriptionFilterProvider(logs),
            new LogsMetricFilterProvider(logs),
            new LogsQueryDefinitionProvider(logs),
            new LogsResourcePolicyProvider(logs),
            new LogsScheduledQueryProvider(logs),
            new LambdaFunctionProvider(lambda, lambdaCode),
            new LambdaPermissionProvider(lambda),
            new LambdaVersionProvider(lambda),
            new KmsKeyProvider(kms),
            new KmsAliasProvider(kms),
            new LambdaAliasProvider(lambda),
            new LambdaLayerVersionProvider(lambda, lambdaCode),
            new LambdaLayerVersionPermissionProvider(lambda),
            new LambdaUrlProvider(lambda),
            new LambdaEventInvokeConfigProvider(lambda),
            new LambdaCodeSigningConfigProvider(lambda),
            new Ec2VpcProvider(ec2),
            new Ec2SubnetProvider(ec2),
            new Ec2SecurityGroupProvider(ec2),
            new Ec2SecurityGroupRuleProvider(ec2, egress: false),
            new Ec2SecurityGroupRuleProvider(ec2, egress: true),
            new Ec2InternetGatewayProvider(ec2),
            new Ec2VpcGatewayAttachmentProvider(ec2),
            new Ec2RouteTableProvider(ec2),
            new Ec2RouteProvider(ec2),
            new Ec2SubnetRouteTableAssociationProvider(ec2),
            new Ec2EipProvider(ec2),
            new Ec2NatGatewayProvider(ec2),
            new RdsDbSubnetGroupProvider(rds),
            new RdsParameterGroupProvider(rds, cluster: false),
            new RdsParameterGroupProvider(rds, cluster: true),
            new RdsOptionGroupProvider(rds),
            new RdsEventSubscriptionProvider(rds),
            new RdsGlobalClusterProvider(rds),
            new S3BucketProvider(s3),
            new S3BucketPolicyProvider(s3),
            new SsmParameterProvider(ssm),
            new EcrRepositoryProvider(ecr),
            new ApiGatewayAccountProvider(apiGateway),
            new ApiGatewayV2ApiProvider(apiGatewayV2),
            new ApiGatewayV2RouteProvider(apiGatewayV2),
            new ApiGatewayV2IntegrationProvider(apiGatewayV2),
            new ApiGatewayV2StageProvider(apiGatewayV2),
            new ApiGatewayV2DeploymentProvider(apiGatewayV2),
            new ApiGatewayV2AuthorizerProvider(apiGatewayV2),
            new ApiGatewayV2ModelProvider(apiGatewayV2),
            new ApiGatewayV2RouteResponseProvider(apiGatewayV2),
            new ApiGatewayV2IntegrationResponseProvider(apiGatewayV2),
            new CdkMetadataProvider(),
            new SecretsManagerSecretProvider(secretsManager),
            new SecretsManagerTargetAttachmentProvider(secretsManager, rds),
            new SecretsManagerResourcePolicyProvider(secretsManager),
            new SecretsManagerRotationScheduleProvider(secretsManager),
            new EventsRuleProvider(events),
            new EventsEventBusProvider(events),
            new CustomResourceProvider(lambda, customResourceResponses, address),
            new WaitConditionHandleProvider(waitConditionSignals, address),
            new WaitConditionProvider(waitConditionSignals),
        ]), new DynamicReferenceValues(ssm, secretsManager), address, Log("cloudformation.engine"), ssm, s3, lambda, lambda, sts);

        var storageConsole = new StorageConsole(ecr, lambda, s3);
        var insightsConsole = new InsightsConsole(logs, clock);
        IConsoleSection[] consoleSections =
        [
            new StackConsole(cloudFormation), new FunctionConsole(lambda), new ApiConsole(apiGateway, apiGatewayV2), new DashboardConsole(cloudWatch, clock),
            storageConsole, new ConfigurationConsole(ssm, kms), new DatabaseConsole(rds), insightsConsole,
        ];
        IStratusService[] all =
        [
            new IamApi(iam, outboundFederation, Log("iam")), new StsApi(sts, credentials, Log("sts")), new EcrApi(ecr, Log("ecr")),
            new LambdaApi(lambda, SignedLinks.For(options, clock), codePackages, Log("lambda")), new RdsDataApi(rdsData, Log("rds-data")), new RdsApi(rds, Log("rds")),
            new ApiGatewayApi(apiGateway, apiGatewayDataPlane, customDomains, Log("apigateway")),
            new ApiGatewayV2Api(apiGatewayV2, customDomains, httpApiAuthorizers, portals, Log("apigatewayv2")),
            new CloudFormationApi(cloudFormation, Log("cloudformation")),
            new CloudWatchApi(cloudWatch, Log("cloudwatch")), new LogsApi(logs, Log("logs")),
            new S3Api(s3, iam, Log("s3")),
            new S3ControlApi(s3, Log("s3control")),
            new SsmApi(ssm, Log("ssm")),
            new KmsApi(kms, Log("kms")),
            new Ec2Api(ec2, Log("ec2")),
            new SecretsManagerApi(secretsManager, Log("secretsmanager")),
            new EventsApi(events, Log("events")),
        ];
        eventsScheduler.Start();
        logs.StartScheduledQueries();
        return new StratusServices(store, ephemeralWorkDir, eventsScheduler)
        {
            All = all,
            // HTTP APIs first: they claim only their own API ids, and REST APIs serve the same URL forms.
            Interceptors = [new EcrRegistry(ecr, logging.CreateLogger("Stratus.ecr.registry"), actionAuthorizer), customDomainDataPlane, apiGatewayV2DataPlane, apiGatewayDataPlane,
                new FunctionUrlDataPlane(lambda, credentials, new SigV4Verifier(clock), options.Auth, iam), customResourceResponses, waitConditionSignals, new PortalDataPlane(portals),
                new OutboundIssuerEndpoint(outboundFederation)],
            Credentials = credentials,
            Iam = iam,
            Authorizations = new ResourceAuthorizations(new Dictionary<string, AuthorizationTable>
            {
                ["lambda"] = LambdaAuthorization.Table(lambda),
                ["iam"] = IamAuthorization.Table(iam),
                ["sts"] = StsAuthorization.Table(iam),
                ["ecr"] = EcrAuthorization.Table(ecr),
                ["secretsmanager"] = SecretsManagerAuthorization.Table(secretsManager),
                ["kms"] = KmsAuthorization.Table(kms),
                ["logs"] = LogsAuthorization.Table(),
                ["monitoring"] = CloudWatchAuthorization.Table(),
                ["ssm"] = SsmAuthorization.Table(ssm),
                ["events"] = EventsAuthorization.Table(),
                ["rds"] = RdsAuthorization.Table(rds),
                ["rds-data"] = RdsDataAuthorization.Table(),
                ["cloudformation"] = CloudFormationAuthorization.Table(cloudFormation),
                ["apigateway"] = ApiGatewayAuthorization.Table(),
                ["s3"] = S3ControlAuthorization.Table(),
            }),
            Sts = sts,
            Rds = rds,
            Lambda = lambda,
            Ecr = ecr,
            ApiGateway = apiGateway,
            ApiGatewayV2 = apiGatewayV2,
            CustomDomains = customDomains,
            CloudFormation = cloudFormation,
            CloudWatch = cloudWatch,
            Logs = logs,
            Pages = [.. all.SelectMany(service => service.Pages), new StratusConsole(all, cloudWatch, logs, clock, consoleSections).Page, storageConsole.DownloadPage, insightsConsole.Page],
        };
    }

    public async ValueTask DisposeAsync()
    {
        // The scheduler stops before Lambda, which it queues invocations into.
        await _eventsScheduler.DisposeAsync();
        await Lambda.DisposeAsync();
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        Ecr.Dispose();
        Iam.Dispose();
        _store.Dispose();
        if (_ephemeralWorkDir is not null)
        {
            try { Directory.Delete(_ephemeralWorkDir, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>Reaches Lambda through a resolver, for a service built before Lambda exists.</summary>
    private sealed class DeferredLambdaInvoker(Func<ILambdaInvoker?> resolve) : ILambdaInvoker
    {
        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
            resolve()?.InvokeAsync(request, cancellation)
            ?? throw LambdaErrors.Starting();
    }
}
