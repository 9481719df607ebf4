using System.Text.Json.Nodes;
using Stratus.Protocols;

namespace Stratus.Services.Rds;

/// <summary>Parameter groups, option groups, event subscriptions, log files and snapshot copies on the wire.</summary>
public sealed partial class RdsApi
{
    private OperationTable AllOperations()
    {
        var table = Operations();
        AddParameterGroupOperations(table, cluster: false);
        AddParameterGroupOperations(table, cluster: true);
        AddOptionGroupOperations(table);
        AddSubscriptionOperations(table);
        AddLogAndCopyOperations(table);
        AddClusterOperations(table);
        AddGlobalClusterOperations(table);
        AddProxyOperations(table);
        AddBlueGreenOperations(table);
        AddAccountOperations(table);
        AddExportOperations(table);
        // botocore's other operations answer a clear refusal naming the operation and why (README lists them).
        NotServedOperations.AddTo(table, RdsNotServed.Operations, RdsErrors.NotServed);
        return table;
    }

    /// <summary>The instance and the cluster forms differ only in names: DB{Cluster}ParameterGroup, DescribeDB{Cluster}Parameters, ...</summary>
    private void AddParameterGroupOperations(OperationTable table, bool cluster)
    {
        var kind = cluster ? "DBClusterParameterGroup" : "DBParameterGroup";
        var nameMember = kind + "Name";
        var list = cluster ? "DBClusterParameterGroups" : "DBParameterGroups";
        JsonObject Body(DbParameterGroup g) => new()
        {
            [nameMember] = g.Name,
            ["DBParameterGroupFamily"] = g.Family,
            ["Description"] = g.Description,
            [kind + "Arn"] = g.Arn,
        };
        JsonObject NameOnly(DbParameterGroup g) => new() { [nameMember] = g.Name };

        table.Add("Create" + kind, i => new JsonObject
        {
            [kind] = Body(_rds.CreateParameterGroup(i.Scope, i.Required(nameMember), i.Required("DBParameterGroupFamily"), i.String("Description"), RdsTag.List(i), cluster)),
        });
        table.Add("Copy" + kind, i => new JsonObject
        {
            [kind] = Body(_rds.CopyParameterGroup(i.Scope, i.Required("Source" + kind + "Identifier"), i.Required("Target" + kind + "Identifier"),
                i.String("Target" + kind + "Description"), RdsTag.List(i), cluster)),
        });
        table.Add("Modify" + kind, async i => (OperationResult)(NameOnly(await _rds.ModifyParameterGroupAsync(i.Scope, i.Required(nameMember), ParameterChanges(i), cluster))));
        table.Add("Reset" + kind, async i => (OperationResult)(NameOnly(await _rds.ResetParameterGroupAsync(i.Scope, i.Required(nameMember),
            i.Bool("ResetAllParameters") ?? false, i.Has("Parameters") ? ParameterChanges(i) : [], cluster))));
        table.Add("Delete" + kind, i =>
        {
            _rds.DeleteParameterGroup(i.Scope, i.Required(nameMember), cluster);
            return (JsonObject?)null;
        });
        table.Add("Describe" + list, i => Paged(_rds.DescribeParameterGroups(i.Scope, i.String(nameMember), i.String("Marker"), i.Int("MaxRecords"), cluster), list, Body));
        table.Add(cluster ? "DescribeDBClusterParameters" : "DescribeDBParameters", i =>
            Paged(_rds.DescribeParameters(i.Scope, i.Required(nameMember), i.String("Source"), i.String("Marker"), i.Int("MaxRecords"), cluster), "Parameters", ParameterBody));
        table.Add(cluster ? "DescribeEngineDefaultClusterParameters" : "DescribeEngineDefaultParameters", i =>
        {
            var family = i.Required("DBParameterGroupFamily");
            var defaults = Paged(_rds.EngineDefaultParameters(i.Scope, family, i.String("Marker"), i.Int("MaxRecords"), cluster), "Parameters", ParameterBody);
            defaults["DBParameterGroupFamily"] = family;
            return new JsonObject { ["EngineDefaults"] = defaults };
        });
    }

    private static List<RdsParameterChange> ParameterChanges(OperationInput input) =>
        input.List("Parameters").OfType<JsonObject>().Select(p => input.Nested(p)).Select(p =>
            new RdsParameterChange(p.Required("ParameterName"), p.String("ParameterValue"), p.String("ApplyMethod"))).ToList();

    private static JsonObject ParameterBody(RdsParameterView p) => new()
    {
        ["ParameterName"] = p.Definition.Name,
        ["ParameterValue"] = p.Value,
        ["Description"] = p.Definition.Description,
        ["Source"] = p.Source,
        ["ApplyType"] = p.Definition.ApplyType,
        ["DataType"] = p.Definition.DataType,
        ["AllowedValues"] = p.Definition.AllowedValues,
        ["IsModifiable"] = true,
        ["ApplyMethod"] = p.ApplyMethod,
    };

    private void AddOptionGroupOperations(OperationTable table)
    {
        table.Add("CreateOptionGroup", i => OptionGroup(_rds.CreateOptionGroup(i.Scope, i.Required("OptionGroupName"), i.Required("EngineName"),
            i.Required("MajorEngineVersion"), i.String("OptionGroupDescription"), RdsTag.List(i))));
        table.Add("CopyOptionGroup", i => OptionGroup(_rds.CopyOptionGroup(i.Scope, i.Required("SourceOptionGroupIdentifier"),
            i.Required("TargetOptionGroupIdentifier"), i.String("TargetOptionGroupDescription"), RdsTag.List(i))));
        table.Add("ModifyOptionGroup", i => OptionGroup(_rds.ModifyOptionGroup(i.Scope, i.Required("OptionGroupName"),
            i.List("OptionsToInclude").OfType<JsonObject>().Select(o => i.Nested(o).Required("OptionName")).ToList())));
        table.Add("DeleteOptionGroup", i =>
        {
            _rds.DeleteOptionGroup(i.Scope, i.Required("OptionGroupName"));
            return (JsonObject?)null;
        });
        table.Add("DescribeOptionGroups", i => Paged(_rds.DescribeOptionGroups(i.Scope, i.String("OptionGroupName"), i.String("EngineName"),
            i.String("MajorEngineVersion"), i.String("Marker"), i.Int("MaxRecords")), "OptionGroupsList", OptionGroupBody));
        table.Add("DescribeOptionGroupOptions", i =>
        {
            RdsRules.Engine(i.Required("EngineName"));
            // Honest: no option has behaviour behind it in Stratus, so none is offered.
            return new JsonObject { ["OptionGroupOptions"] = new JsonArray() };
        });
    }

    private JsonObject OptionGroup(RdsOptionGroup g) => new() { ["OptionGroup"] = OptionGroupBody(g) };

    private static JsonObject OptionGroupBody(RdsOptionGroup g) => new()
    {
        ["OptionGroupName"] = g.Name,
        ["OptionGroupDescription"] = g.Description,
        ["EngineName"] = g.EngineName,
        ["MajorEngineVersion"] = g.MajorEngineVersion,
        ["Options"] = new JsonArray(),
        ["AllowsVpcAndNonVpcInstanceMemberships"] = true,
        ["OptionGroupArn"] = g.Arn,
    };

    private void AddSubscriptionOperations(OperationTable table)
    {
        table.Add("CreateEventSubscription", i => Subscription(_rds.CreateEventSubscription(i.Scope, i.Required("SubscriptionName"), i.String("SnsTopicArn"),
            i.String("SourceType"), i.Strings("EventCategories"), i.Strings("SourceIds"), i.Bool("Enabled"), RdsTag.List(i))));
        table.Add("ModifyEventSubscription", i => Subscription(_rds.ModifyEventSubscription(i.Scope, i.Required("SubscriptionName"), i.String("SnsTopicArn"),
            i.String("SourceType"), i.Has("EventCategories") ? i.Strings("EventCategories") : null, i.Bool("Enabled"))));
        table.Add("DeleteEventSubscription", i => Subscription(_rds.DeleteEventSubscription(i.Scope, i.Required("SubscriptionName"))));
        table.Add("AddSourceIdentifierToSubscription", i => Subscription(_rds.ChangeSubscriptionSource(i.Scope, i.Required("SubscriptionName"), i.Required("SourceIdentifier"), add: true)));
        table.Add("RemoveSourceIdentifierFromSubscription", i => Subscription(_rds.ChangeSubscriptionSource(i.Scope, i.Required("SubscriptionName"), i.Required("SourceIdentifier"), add: false)));
        table.Add("DescribeEventSubscriptions", i => Paged(_rds.DescribeEventSubscriptions(i.Scope, i.String("SubscriptionName"), i.String("Marker"), i.Int("MaxRecords")),
            "EventSubscriptionsList", SubscriptionBody));
        table.Add("DescribeEventCategories", i =>
        {
            var type = i.String("SourceType");
            if (type is not null && !RdsService.EventCategories.ContainsKey(type)) throw RdsErrors.InvalidValue($"Invalid source type {type}.");
            return new JsonObject
            {
                ["EventCategoriesMapList"] = new JsonArray(RdsService.EventCategories.Where(c => type is null || c.Key == type).Select(c => (JsonNode)new JsonObject
                {
                    ["SourceType"] = c.Key,
                    ["EventCategories"] = new JsonArray(c.Value.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()),
                }).ToArray()),
            };
        });
    }

    private static JsonObject Subscription(RdsEventSubscription s) => new() { ["EventSubscription"] = SubscriptionBody(s) };

    private static JsonObject SubscriptionBody(RdsEventSubscription s) => new()
    {
        ["CustomerAwsId"] = s.AccountId,
        ["CustSubscriptionId"] = s.Name,
        ["SnsTopicArn"] = s.SnsTopicArn,
        ["Status"] = s.Enabled ? "active" : "inactive",
        // RDS gives this one as a string, not a timestamp.
        ["SubscriptionCreationTime"] = s.CreationTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", System.Globalization.CultureInfo.InvariantCulture),
        ["SourceType"] = s.SourceType,
        ["SourceIdsList"] = new JsonArray(s.SourceIds.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()),
        ["EventCategoriesList"] = new JsonArray(s.EventCategories.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
        ["Enabled"] = s.Enabled,
        ["EventSubscriptionArn"] = s.Arn,
    };

    private void AddLogAndCopyOperations(OperationTable table)
    {
        table.Add("DescribeDBLogFiles", i => Paged(_rds.DescribeLogFiles(i.Scope, i.Required("DBInstanceIdentifier"), i.String("FilenameContains"),
            i.Long("FileLastWritten"), i.Long("FileSize"), i.String("Marker"), i.Int("MaxRecords")), "DescribeDBLogFiles", f => new JsonObject
            {
                ["LogFileName"] = f.Name,
                ["LastWritten"] = f.LastWritten.ToUnixTimeMilliseconds(),
                ["Size"] = f.Size,
            }));
        table.Add("DownloadDBLogFilePortion", i =>
        {
            var portion = _rds.DownloadLogFilePortion(i.Scope, i.Required("DBInstanceIdentifier"), i.Required("LogFileName"), i.String("Marker"), i.Int("NumberOfLines"));
            return new JsonObject { ["LogFileData"] = portion.Data, ["Marker"] = portion.Marker, ["AdditionalDataPending"] = portion.AdditionalDataPending };
        });
        table.Add("CopyDBSnapshot", i => Snapshot(_rds.CopySnapshot(i.Scope, i.Required("SourceDBSnapshotIdentifier"), i.Required("TargetDBSnapshotIdentifier"),
            RdsTag.List(i), i.Bool("CopyTags") ?? false)));
    }
}
