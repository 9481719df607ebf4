namespace Stratus.Services.Iam;

/// <summary>
/// The service-linked roles Stratus can create: each service principal's role name as AWS names it
/// (<c>AWSServiceRoleFor...</c>, documented per service under "Using service-linked roles"), and whether the service
/// takes a CustomSuffix (AWS lets few do so: Auto Scaling and Elastic Beanstalk among them). The names are AWS's; a
/// principal missing here is refused rather than given a guessed name.
/// </summary>
public static class ServiceLinkedRoles
{
    public sealed record Kind(string ServiceName, string RoleName, bool TakesCustomSuffix = false)
    {
        public string Path => $"/aws-service-role/{ServiceName}/";

        public string NameWith(string? customSuffix) => customSuffix is null ? RoleName : $"{RoleName}_{customSuffix}";

        /// <summary>The trust policy AWS gives the role: only its service may assume it.</summary>
        public string TrustPolicy =>
            $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"{{ServiceName}}"},"Action":"sts:AssumeRole"}]}""";
    }

    private static readonly Dictionary<string, Kind> ByService = new Kind[]
    {
        new("rds.amazonaws.com", "AWSServiceRoleForRDS"),
        new("ops.apigateway.amazonaws.com", "AWSServiceRoleForAPIGateway"),
        new("replication.ecr.amazonaws.com", "AWSServiceRoleForECRReplication"),
        new("replicator.lambda.amazonaws.com", "AWSServiceRoleForLambdaReplicator"),
        new("ecs.amazonaws.com", "AWSServiceRoleForECS"),
        new("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", TakesCustomSuffix: true),
        new("elasticbeanstalk.amazonaws.com", "AWSServiceRoleForElasticBeanstalk", TakesCustomSuffix: true),
        new("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
        new("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
        new("es.amazonaws.com", "AWSServiceRoleForAmazonElasticsearchService"),
        new("opensearchservice.amazonaws.com", "AWSServiceRoleForAmazonOpenSearchService"),
        new("dynamodb.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"),
        new("ecs.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_ECSService"),
        new("lambda.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"),
        new("rds.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_RDSCluster"),
        new("delivery.logs.amazonaws.com", "AWSServiceRoleForLogDelivery"),
        new("lakeformation.amazonaws.com", "AWSServiceRoleForLakeFormationDataAccess"),
    }.ToDictionary(k => k.ServiceName, StringComparer.Ordinal);

    public static Kind? Of(string serviceName) => ByService.GetValueOrDefault(serviceName);
}
