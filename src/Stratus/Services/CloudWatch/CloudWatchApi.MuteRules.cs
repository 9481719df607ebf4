namespace Stratus.Services.CloudWatch;

/// <summary>Alarm mute rules' wire operations.</summary>
public sealed partial class CloudWatchApi
{
    private const int ListAlarmMuteRulesPageSize = 50;

    private void AddMuteRuleOperations(OperationTable table)
    {
        table.Add("PutAlarmMuteRule", i =>
        {
            var rule = i.Object("Rule") is { } r ? i.Nested(r) : throw i.Style.Missing("Rule");
            var schedule = rule.Object("Schedule") is { } s ? rule.Nested(s) : throw rule.Style.Missing("Rule.Schedule");
            var targets = i.Object("MuteTargets") is { } t ? i.Nested(t).Strings("AlarmNames") : [];
            _cloudWatch.PutAlarmMuteRule(i.Scope, new AlarmMuteRuleInput(i.Required("Name"), i.String("Description"), schedule.Required("Expression"),
                schedule.Required("Duration"), schedule.String("Timezone"), targets, i.Timestamp("StartDate"), i.Timestamp("ExpireDate"), Tags(i)));
            return (JsonObject?)null;
        });
        table.Add("GetAlarmMuteRule", i =>
        {
            var rule = _cloudWatch.GetAlarmMuteRule(i.Scope, i.Required("AlarmMuteRuleName"));
            return new JsonObject
            {
                ["Name"] = rule.Name,
                ["AlarmMuteRuleArn"] = rule.Arn,
                ["Description"] = rule.Description,
                ["Rule"] = new JsonObject
                {
                    ["Schedule"] = new JsonObject { ["Expression"] = rule.Expression, ["Duration"] = rule.Duration, ["Timezone"] = rule.Timezone },
                },
                ["MuteTargets"] = new JsonObject { ["AlarmNames"] = new JsonArray(rule.AlarmNames.Select(n => (JsonNode)n).ToArray()) },
                ["StartDate"] = rule.StartDate,
                ["ExpireDate"] = rule.ExpireDate,
                ["Status"] = _cloudWatch.MuteRuleStatus(rule),
                ["LastUpdatedTimestamp"] = rule.LastUpdated,
                ["MuteType"] = CloudWatchService.MuteType(rule),
            };
        });
        table.Add("ListAlarmMuteRules", i =>
        {
            var maxRecords = i.Int("MaxRecords") ?? ListAlarmMuteRulesPageSize;
            var rules = _cloudWatch.ListAlarmMuteRules(i.Scope, i.String("AlarmName"), i.Strings("Statuses"));
            var from = DecodeToken(i.String("NextToken"), "InvalidNextToken");
            var body = new JsonObject
            {
                ["AlarmMuteRuleSummaries"] = new JsonArray(rules.Skip(from).Take(maxRecords).Select(r => (JsonNode)new JsonObject
                {
                    ["AlarmMuteRuleArn"] = r.Arn,
                    ["ExpireDate"] = r.ExpireDate,
                    ["Status"] = _cloudWatch.MuteRuleStatus(r),
                    ["MuteType"] = CloudWatchService.MuteType(r),
                    ["LastUpdatedTimestamp"] = r.LastUpdated,
                }).ToArray()),
            };
            if (from + maxRecords < rules.Count) body["NextToken"] = EncodeToken(from + maxRecords);
            return body;
        });
        table.Add("DeleteAlarmMuteRule", i =>
        {
            _cloudWatch.DeleteAlarmMuteRule(i.Scope, i.Required("AlarmMuteRuleName"));
            return (JsonObject?)null;
        });
    }
}
