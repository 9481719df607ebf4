using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Blue/green deployments on the wire.</summary>
public sealed partial class RdsApi
{
    private void AddBlueGreenOperations(OperationTable table)
    {
        table.Add("CreateBlueGreenDeployment", i => BlueGreen(_rds.CreateBlueGreenDeployment(i.Scope, CreateBlueGreenRequest.Read(i))));
        table.Add("DescribeBlueGreenDeployments", i => Paged(_rds.DescribeBlueGreenDeployments(i.Scope, i.String("BlueGreenDeploymentIdentifier"), Filters(i),
            i.String("Marker"), i.Int("MaxRecords")), "BlueGreenDeployments", BlueGreenBody));
        table.Add("SwitchoverBlueGreenDeployment", i => BlueGreen(_rds.SwitchoverBlueGreenDeployment(i.Scope, i.Required("BlueGreenDeploymentIdentifier"), i.Int("SwitchoverTimeout"))));
        table.Add("DeleteBlueGreenDeployment", i => BlueGreen(_rds.DeleteBlueGreenDeployment(i.Scope, i.Required("BlueGreenDeploymentIdentifier"), i.Bool("DeleteTarget") ?? false)));
    }

    private static JsonObject BlueGreen(BlueGreenView view) => new() { ["BlueGreenDeployment"] = BlueGreenBody(view) };

    private static JsonObject BlueGreenBody(BlueGreenView v) => new()
    {
        ["BlueGreenDeploymentIdentifier"] = v.Deployment.Identifier,
        ["BlueGreenDeploymentName"] = v.Deployment.Name,
        ["Source"] = v.SourceArn,
        ["Target"] = v.TargetArn,
        ["SwitchoverDetails"] = new JsonArray(new JsonObject
        {
            ["SourceMember"] = v.SourceArn,
            ["TargetMember"] = v.TargetArn,
            ["Status"] = v.SwitchoverStatus,
        }),
        ["Tasks"] = new JsonArray(new JsonObject { ["Name"] = "CREATING_READ_REPLICA_OF_SOURCE", ["Status"] = v.ReplicaTaskStatus }),
        ["Status"] = v.Deployment.Status,
        ["StatusDetails"] = v.Deployment.StatusDetails,
        ["CreateTime"] = v.Deployment.CreateTime,
        ["DeleteTime"] = v.DeleteTime,
        ["TagList"] = TagList(v.Deployment.Tags),
    };
}
