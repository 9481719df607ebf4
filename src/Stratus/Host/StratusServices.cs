using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Resources.ApiGateway;
using Stratus.Services.CloudFormation.Resources.Iam;
using Stratus.Services.CloudFormation.Resources.Lambda;
using Stratus.Services.CloudFormation.Resources.Monitoring;
using Stratus.Services.CloudFormation.Resources.Rds;
using Stratus.Services.CloudWatch;
using Stratus.Services.Ecr;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
using Stratus.Services.Lambda.Engine;
using Stratus.Services.Logs;
using Stratus.Services.Rds;
using Stratus.Services.Rds.Engine;
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

    private StratusServices(StateStore store, string? ephemeralWorkDir)
    {
        _store = store;
        _ephemeralWorkDir = ephemeralWorkDir;
    }

    public required IReadOnlyList<IStratusService> All { get; init; }
    /// <summary>Non-AWS-API traffic on the endpoint (API Gateway invoke URLs), served before the request router.</summary>
    public required IReadOnlyList<IRequestInterceptor> Interceptors { get; init; }
    public required CredentialResolver Credentials { get; init; }
    public required IamService Iam { get; init; }
    public required StsService Sts { get; init; }
    public required RdsService Rds { get; init; }
    public required LambdaService Lambda { get; init; }
    /// <summary>ECR, and the images Lambda resolves and unpacks through <see cref="IImageRegistry"/>.</summary>
    public required EcrService Ecr { get; init; }
    public required ApiGatewayService ApiGateway { get; init; }
    public required CloudFormationService CloudFormation { get; init; }
    /// <summary>Where Lambda and API Gateway publish their metrics.</summary>
    public required CloudWatchService CloudWatch { get; init; }
    /// <summary>Where Lambda writes its functions' logs.</summary>
    public required LogsService Logs { get; init; }
    /// <summary>The pages for people under /_stratus/: each service's, and the console.</summary>
    public required IReadOnlyList<StratusPage> Pages { get; init; }

    public static StratusServices Compose(StratusOptions options, StateStore store, TimeProvider clock, ILoggerFactory logging)
    {
        var iam = new IamService(store, clock);
        var sts = new StsService(store, clock, iam);
        var sources = new List<ICredentialSource> { iam, sts };
        if (options.RootKey is { } root) sources.Insert(0, new RootCredentialSource(root.AccessKeyId, root.SecretAccessKey));

        var lambdaForAlarms = new LateBoundLambdaInvoker();
        var cloudWatch = new CloudWatchService(store, clock, lambdaForAlarms, logging.CreateLogger("Stratus.cloudwatch"));
        var logs = new LogsService(store, clock, cloudWatch, logging.CreateLogger("Stratus.logs"));

        // Function code, runtime clients and registry blobs live under the data dir; an ephemeral Stratus uses a temp dir it removes on shutdown.
        var ephemeralWorkDir = options.DataDir is null ? Directory.CreateTempSubdirectory("stratus-").FullName : null;
        var workDir = ephemeralWorkDir ?? options.DataDir!;
        // Built before Lambda, which resolves and unpacks image functions through it (IImageRegistry).
        var ecr = new EcrService(store, clock, Path.Combine(workDir, "ecr"), EcrSettings.FromEnvironment(), logging.CreateLogger("Stratus.ecr"));
        var lambda = LambdaService.Start(store, clock, iam, sts, logs, cloudWatch, ecr,
            Path.Combine(workDir, "lambda"), LambdaSettings.FromEnvironment(), $"http://{options.Host}:{options.Port}");
        lambdaForAlarms.Target = lambda;

        var rds = new RdsService(store, clock, MariaDbInstallation.Find(), options.DataDir, options.Host, logging.CreateLogger("Stratus.rds.engine"));

        var apiGateway = new ApiGatewayService(store, clock);
        var apiGatewayDataPlane = new ApiGatewayDataPlane(apiGateway,
            new IntegrationEngine(lambda, IntegrationEngine.CreateHttpClient(), clock),
            cloudWatch, logs, clock, logging.CreateLogger("Stratus.apigateway.execute-api"));

        var cloudFormation = new CloudFormationService(store, clock, new ResourceProviders(
        [
            new IamRoleProvider(iam),
            new IamPolicyProvider(iam),
            new IamManagedPolicyProvider(iam),
            new ApiGatewayRestApiProvider(apiGateway),
            new ApiGatewayResourceProvider(apiGateway),
            new ApiGatewayMethodProvider(apiGateway),
            new ApiGatewayDeploymentProvider(apiGateway),
            new ApiGatewayStageProvider(apiGateway),
            new RdsDbInstanceProvider(rds),
            new LogsLogGroupProvider(logs),
            new CloudWatchAlarmProvider(cloudWatch),
            new LambdaFunctionProvider(lambda),
            new LambdaPermissionProvider(lambda),
            new LambdaVersionProvider(lambda),
        ]));
        cloudFormation.Engine.Logger = logging.CreateLogger("Stratus.cloudformation.engine");

        IStratusService[] all =
        [
            new IamApi(iam), new StsApi(sts), new EcrApi(ecr), new LambdaApi(lambda), new RdsApi(rds),
            new ApiGatewayApi(apiGateway, apiGatewayDataPlane), new CloudFormationApi(cloudFormation),
            new CloudWatchApi(cloudWatch), new LogsApi(logs),
        ];
        foreach (var service in all) service.Endpoint.Logger = logging.CreateLogger("Stratus." + service.Name);
        return new StratusServices(store, ephemeralWorkDir)
        {
            All = all,
            Interceptors = [new EcrRegistry(ecr, logging.CreateLogger("Stratus.ecr.registry")), apiGatewayDataPlane],
            Credentials = new CredentialResolver(sources),
            Iam = iam,
            Sts = sts,
            Rds = rds,
            Lambda = lambda,
            Ecr = ecr,
            ApiGateway = apiGateway,
            CloudFormation = cloudFormation,
            CloudWatch = cloudWatch,
            Logs = logs,
            Pages = [.. all.SelectMany(service => service.Pages), new StratusConsole(all, cloudWatch, logs, clock).Page],
        };
    }

    /// <summary>
    /// Tells services where Stratus listens, known only once Kestrel has bound its port: Lambda hands it
    /// to functions (AWS_ENDPOINT_URL), CloudFormation resolves AWS::URLSuffix to it.
    /// </summary>
    public void Started(Uri baseUrl)
    {
        Lambda.SetStratusUrl(baseUrl.ToString());
        CloudFormation.Engine.UrlSuffix = $"localhost:{baseUrl.Port}";
        Ecr.RegistryHost = baseUrl.Authority;
    }

    public async ValueTask DisposeAsync()
    {
        await Lambda.DisposeAsync();
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        Ecr.Dispose();
        _store.Dispose();
        if (_ephemeralWorkDir is not null)
        {
            try { Directory.Delete(_ephemeralWorkDir, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>
    /// CloudWatch is built before Lambda (which publishes its metrics into it), so alarm actions reach
    /// Lambda through this: <see cref="Target"/> is set as soon as Lambda exists.
    /// </summary>
    private sealed class LateBoundLambdaInvoker : ILambdaInvoker
    {
        public ILambdaInvoker? Target { get; set; }

        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
            Target?.InvokeAsync(request, cancellation)
            ?? throw new AwsException("ServiceUnavailableException", "Lambda is starting; try again.", 503);
    }
}
