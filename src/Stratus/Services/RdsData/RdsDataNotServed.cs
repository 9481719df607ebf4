using Stratus.Protocols;
using Stratus.Protocols.RestJson;

namespace Stratus.Services.RdsData;

/// <summary>
/// The operations of botocore's rds-data model that Stratus does not serve, each with the reason README's Data API section gives.
/// They keep their routes and answer BadRequestException naming the operation and the reason.
/// </summary>
public static class RdsDataNotServed
{
    private static readonly (string Reason, RestRoute[] Routes)[] Groups =
    [
        ("ExecuteSql is deprecated for ExecuteStatement and served only Aurora Serverless v1 clusters, which AWS retired",
            [new("POST", "/ExecuteSql", "ExecuteSql")]),
    ];

    public static readonly IReadOnlyList<(string Operation, string Reason)> Operations = NotServedOperations.Group(Groups);

    public static readonly IReadOnlyList<RestRoute> Routes = [.. Groups.SelectMany(g => g.Routes)];
}
