using Microsoft.Extensions.Logging;
using Stratus.Persistence;
using Stratus.Protocols;
using Stratus.Services.ApiGateway;
using Stratus.Services.CloudFormation;
using Stratus.Services.CloudFormation.Resources;
using Stratus.Services.CloudFormation.Resources.ApiGateway;
using Stratus.Services.CloudFormation.Resources.Iam;
using Stratus.Services.CloudWatch;
using Stratus.Services.Ecr;
using Stratus.Services.Iam;
using Stratus.Services.Lambda;
using Stratus.Services.Logs;
using Stratus.Services.Sts;

namespace Stratus.Host;

/// <summary>
/// The composition root: builds each service's domain, wires services to each other through their
/// domain interfaces (never over HTTP), and owns their lifetimes.
/// </summary>
public sealed class StratusServices : IAsyncDisposable
{
    private readonly StateStore _store;
    private readonly CloudFormationService _cloudFormation;

    private StratusServices(StateStore store, IReadOnlyList<IStratusService> all, IReadOnlyList<IRequestInterceptor> interceptors,
        CredentialResolver credentials, IamService iam, StsService sts, CloudFormationService cloudFormation)
    {
        _store = store;
        _cloudFormation = cloudFormation;
        All = all;
        Interceptors = interceptors;
        Credentials = credentials;
        Iam = iam;
        Sts = sts;
    }

    public IReadOnlyList<IStratusService> All { get; }
    /// <summary>Non-AWS-API traffic on the endpoint (API Gateway invoke URLs), served before the request router.</summary>
    public IReadOnlyList<IRequestInterceptor> Interceptors { get; }
    public CredentialResolver Credentials { get; }
    public IamService Iam { get; }
    public StsService Sts { get; }

    public static StratusServices Compose(StratusOptions options, StateStore store, TimeProvider clock, ILoggerFactory logging)
    {
        var iam = new IamService(store, clock);
        var sts = new StsService(store, clock, iam);
        var sources = new List<ICredentialSource> { iam, sts };
        if (options.RootKey is { } root) sources.Insert(0, new RootCredentialSource(root.AccessKeyId, root.SecretAccessKey));

        var apiGateway = new ApiGatewayService(store, clock);
        var apiGatewayDataPlane = new ApiGatewayDataPlane(apiGateway,
            new IntegrationEngine(new LambdaNotAvailable(), IntegrationEngine.CreateHttpClient(), clock),
            new NoMetrics(), new NoLogs(), clock, logging.CreateLogger("Stratus.apigateway.execute-api"));

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
        ]));
        cloudFormation.Engine.Logger = logging.CreateLogger("Stratus.cloudformation.engine");

        IStratusService[] all = [new IamApi(iam), new StsApi(sts), new EcrApi(new EcrService(store, clock)), new ApiGatewayApi(apiGateway, apiGatewayDataPlane),
            new CloudFormationApi(cloudFormation)];
        foreach (var service in all) service.Endpoint.Logger = logging.CreateLogger("Stratus." + service.Name);
        return new StratusServices(store, all, [apiGatewayDataPlane], new CredentialResolver(sources), iam, sts, cloudFormation);
    }

    /// <summary>Tells the services where Stratus listens, known only once Kestrel has bound its port.</summary>
    public void ListeningOn(Uri baseUrl) => _cloudFormation.Engine.UrlSuffix = $"localhost:{baseUrl.Port}";

    public ValueTask DisposeAsync()
    {
        foreach (var service in All.OfType<IDisposable>()) service.Dispose();
        _store.Dispose();
        return ValueTask.CompletedTask;
    }

    // Stand-ins until the Lambda, CloudWatch and Logs services are wired in here.
    private sealed class LambdaNotAvailable : ILambdaInvoker
    {
        public Task<LambdaInvokeResult> InvokeAsync(LambdaInvokeRequest request, CancellationToken cancellation) =>
            throw new AwsException("ServiceException", "Lambda service not available yet", 500);
    }

    private sealed class NoMetrics : IMetricPublisher
    {
        public void Publish(MetricDatum datum) { }
    }

    private sealed class NoLogs : ILogWriter
    {
        public void Append(string accountId, string region, string logGroup, string logStream, IReadOnlyList<LogLine> lines) { }
    }
}
