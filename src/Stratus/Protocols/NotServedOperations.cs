using Stratus.Protocols.RestJson;

namespace Stratus.Protocols;

/// <summary>
/// The operations of a service's botocore model that Stratus does not serve, each with the reason README gives.
/// They answer a refusal naming the operation and the reason, never a generic unknown-action error, and the
/// model-walk test of each service keeps the list, the model and README in step.
/// </summary>
public static class NotServedOperations
{
    /// <summary>Lists operations under the reason they share, as README groups them.</summary>
    public static IReadOnlyList<(string Operation, string Reason)> Group(params (string Reason, string[] Operations)[] groups) =>
        groups.SelectMany(g => g.Operations.Select(operation => (operation, g.Reason))).ToList();

    /// <summary>A REST service's refused operations keep the routes botocore binds them to, so that they are refused by name on the wire.</summary>
    public static IReadOnlyList<(string Operation, string Reason)> Group(params (string Reason, RestRoute[] Routes)[] groups) =>
        groups.SelectMany(g => g.Routes.Select(route => (route.Operation, g.Reason))).ToList();

    /// <summary>Adds each operation to the table as a refusal built by <paramref name="refusal"/> from its name and reason.</summary>
    public static void AddTo(OperationTable table, IEnumerable<(string Operation, string Reason)> operations, Func<string, string, AwsException> refusal)
    {
        foreach (var (operation, reason) in operations)
            table.Add(operation, (Func<OperationInput, OperationResult>)(_ => throw refusal(operation, reason)));
    }
}
