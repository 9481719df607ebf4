using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Resources.ApiGateway;
using Stratus.Services.CloudFormation.Resources.Iam;
using Stratus.Services.CloudFormation.Resources.Monitoring;
using Stratus.Services.CloudFormation.Resources.Rds;
using Stratus.Services.CloudWatch;
using Stratus.Services.Ecr;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
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

    private StratusServices(StateStore store) => _store = store;

    public required IReadOnlyList<IStratusService> All { get; init; }
    /// <summary>Non-AWS-API traffic on the endpoint (API Gateway invoke URLs), served before the request router.</summary>
    public required IReadOnlyList<IRequestInterceptor> Interceptors { get; init; }
    public required CredentialResolver Credentials { get; init; }
    public required IamService Iam { get; init; }
    public required StsService Sts { get; init; }
    public required RdsService Rds { get; init; }
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

        var rds = new RdsService(store, clock, MariaDbInstallation.Find(), options.DataDir, options.Host, logging.CreateLogger("Stratus.rds.engine"));

        var apiGateway = new ApiGatewayService(store, clock);
        var apiGatewayDataPlane = new ApiGatewayDataPlane(apiGateway,
            new IntegrationEngine(new LambdaNotAvailable(), IntegrationEngine.CreateHttpClient(), clock),
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
        ]));
        cloudFormation.Engine.Logger = logging.CreateLogger("Stratus.cloudformation.engine");

        IStratusService[] all =
        [
            new IamApi(iam), new StsApi(sts), new EcrApi(new EcrService(store, clock)), new RdsApi(rds),
            new ApiGatewayApi(apiGateway, apiGatewayDataPlane), new CloudFormationApi(cloudFormation),
            new CloudWatchApi(cloudWatch), new LogsApi(logs),
        ];
        foreach (var service in all) service.Endpoint.Logger = logging.CreateLogger("Stratus." + service.Name);
        return new StratusServices(store)
        {
            All = all,
            Interceptors = [apiGatewayDataPlane],
            Credentials = new CredentialResolver(sources),
            Iam = iam,
            Sts = sts,
            Rds = rds,
            ApiGateway = apiGateway,
            CloudFormation = cloudFormation,
            CloudWatch = cloudWatch,
            Logs = logs,
            Pages = [.. all.SelectMany(service => service.Pages), new StratusConsole(all, cloudWatch, logs, clock).Page],
        };
    }

    /// <summary>Tells the services where Stratus listens, known only once Kestrel has bound its port.</summary>
    public void ListeningOn(Uri baseUrl) => CloudFormation.Engine.UrlSuffix = $"localhost:{baseUrl.Port}";

    public ValueTask DisposeAsync()
    {
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        _store.Dispose();
        return ValueTask.CompletedTask;
    }

    // A stand-in until the Lambda service is wired in here.
    private sealed class LambdaNotAvailable : ILambdaInvoker
    {
        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
            throw new AwsException("ServiceException", "Lambda service not available yet", 500);
    }

    /// <summary>
    /// CloudWatch is built before Lambda (which publishes its metrics into it), so alarm actions reach
    /// Lambda through this: <see cref="Target"/> is set once Lambda exists.
    /// </summary>
    private sealed class LateBoundLambdaInvoker : ILambdaInvoker
    {
        public ILambdaInvoker? Target { get; set; }

        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
            Target?.InvokeAsync(request, cancellation)
            ?? throw new AwsException("ServiceUnavailableException", $"Lambda is not available in this Stratus yet, so {request.Function} cannot be invoked.", 503);
    }
}
