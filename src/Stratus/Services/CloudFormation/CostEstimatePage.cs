using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Stratus.Protocols;
using Stratus.Services.CloudFormation.Templates;

namespace Stratus.Services.CloudFormation;

/// <summary>
/// The page EstimateTemplateCost's URL opens: each resource of the template with an indicative monthly
/// price on AWS, and where those prices come from. Stratus itself charges nothing.
/// </summary>
public sealed class CostEstimatePage(CloudFormationService cfn)
{
    public const string PathPrefix = "/_stratus/cost";
    private const double HoursPerMonth = 730;

    /// <summary>
    /// On-demand list prices in USD for us-east-1, from AWS's public pricing pages
    /// (aws.amazon.com/rds/mysql/pricing, /lambda/pricing, /api-gateway/pricing, /cloudwatch/pricing), 2025.
    /// </summary>
    private static readonly Dictionary<string, double> RdsHourly = new(StringComparer.Ordinal)
    {
        ["db.t3.micro"] = 0.017,
        ["db.t3.small"] = 0.034,
        ["db.t3.medium"] = 0.068,
        ["db.t3.large"] = 0.136,
        ["db.t4g.micro"] = 0.016,
        ["db.t4g.small"] = 0.032,
        ["db.t4g.medium"] = 0.065,
        ["db.m5.large"] = 0.171,
        ["db.m6g.large"] = 0.152,
    };

    private const double RdsStoragePerGbMonth = 0.115;
    private const double AlarmPerMonth = 0.10;

    private sealed record Line(string LogicalId, string Type, double? MonthlyUsd, string Basis);

    public async Task WriteAsync(HttpContext http)
    {
        var id = http.Request.Path.Value![PathPrefix.Length..].Trim('/');
        var estimate = cfn.FindEstimate(id);
        if (estimate is null)
        {
            http.Response.StatusCode = 404;
            await http.Response.WriteAsync("No such cost estimate.");
            return;
        }
        var template = Template.Parse(estimate.TemplateBody);
        var evaluator = new TemplateEvaluator(template, estimate.Parameters, new PseudoParameters("000000000000", estimate.Region, "estimate", "estimate"),
            _ => null, _ => null);
        var lines = template.Resources.Values.Select(r => Price(r, evaluator)).ToList();
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(Render(template, lines, estimate));
    }

    private static Line Price(ResourceDefinition resource, TemplateEvaluator evaluator)
    {
        switch (resource.Type)
        {
            case "AWS::RDS::DBInstance":
                var instanceClass = Literal(resource, "DBInstanceClass", evaluator);
                var storage = double.TryParse(Literal(resource, "AllocatedStorage", evaluator), NumberStyles.Float, CultureInfo.InvariantCulture, out var gb) ? gb : 20;
                if (instanceClass is null || !RdsHourly.TryGetValue(instanceClass, out var hourly))
                    return new(resource.LogicalId, resource.Type, null, $"instance class {instanceClass ?? "(unresolved)"} is not in Stratus's price list; see aws.amazon.com/rds/pricing");
                return new(resource.LogicalId, resource.Type, hourly * HoursPerMonth + storage * RdsStoragePerGbMonth,
                    $"{instanceClass} at ${hourly.ToString(CultureInfo.InvariantCulture)}/hour for {HoursPerMonth} hours, plus {storage.ToString(CultureInfo.InvariantCulture)} GB gp2 storage at ${RdsStoragePerGbMonth.ToString(CultureInfo.InvariantCulture)}/GB-month (single-AZ MySQL)");
            case "AWS::Lambda::Function":
                return new(resource.LogicalId, resource.Type, 0, "pay per use: $0.20 per million requests and $0.0000166667 per GB-second; the first million requests and 400,000 GB-seconds each month are free");
            case "AWS::ApiGateway::RestApi":
                return new(resource.LogicalId, resource.Type, 0, "pay per use: $3.50 per million REST API calls");
            case "AWS::Logs::LogGroup":
                return new(resource.LogicalId, resource.Type, 0, "pay per use: $0.50 per GB ingested and $0.03 per GB-month stored");
            case "AWS::CloudWatch::Alarm":
                return new(resource.LogicalId, resource.Type, AlarmPerMonth, "$0.10 per standard-resolution alarm metric per month");
            default:
                if (resource.Type.StartsWith("AWS::IAM::", StringComparison.Ordinal))
                    return new(resource.LogicalId, resource.Type, 0, "IAM is free of charge");
                if (resource.Type.StartsWith("AWS::ApiGateway::", StringComparison.Ordinal) || resource.Type.StartsWith("AWS::Lambda::", StringComparison.Ordinal))
                    return new(resource.LogicalId, resource.Type, 0, "no charge of its own; billed through the API or function it belongs to");
                return new(resource.LogicalId, resource.Type, null, "not in Stratus's price list");
        }
    }

    private static string? Literal(ResourceDefinition resource, string property, TemplateEvaluator evaluator)
    {
        try
        {
            return resource.Properties[property] is { } node ? evaluator.EvaluateString(node, property) : null;
        }
        catch (AwsException)
        {
            // The value depends on another resource; it cannot be known before the stack exists.
            return null;
        }
    }

    private static string Render(Template template, IReadOnlyList<Line> lines, CostEstimateRecord estimate)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        static string Usd(double value) => "$" + value.ToString("0.00", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Stratus template cost estimate</title></head><body>");
        html.Append("<h1>Template cost estimate</h1>");
        if (template.Description is not null) html.Append("<p>").Append(E(template.Description)).Append("</p>");
        html.Append("<table border=\"1\" cellpadding=\"4\"><tr><th>Resource</th><th>Type</th><th>Indicative monthly price (USD)</th><th>Basis</th></tr>");
        foreach (var line in lines)
            html.Append("<tr><td>").Append(E(line.LogicalId)).Append("</td><td>").Append(E(line.Type)).Append("</td><td>")
                .Append(line.MonthlyUsd is { } usd ? Usd(usd) : "unknown").Append("</td><td>").Append(E(line.Basis)).Append("</td></tr>");
        html.Append("<tr><th colspan=\"2\">Total (known prices, before usage charges)</th><th>")
            .Append(Usd(lines.Sum(l => l.MonthlyUsd ?? 0))).Append("</th><td></td></tr></table>");
        html.Append("<p>Where the prices come from: AWS's public on-demand list prices for us-east-1 (aws.amazon.com/rds/mysql/pricing, ")
            .Append("aws.amazon.com/lambda/pricing, aws.amazon.com/api-gateway/pricing, aws.amazon.com/cloudwatch/pricing), as of 2025, built into Stratus. ")
            .Append("They are indicative only: real bills depend on region, usage, free tier and discounts. ")
            .Append($"Estimate requested for region {E(estimate.Region)}. Running this template on Stratus costs nothing.</p>");
        html.Append("</body></html>");
        return html.ToString();
    }
}
