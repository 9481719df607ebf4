using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>CloudWatch through the AWS SDK for JavaScript v3 (tests/js), whose client speaks AWS JSON 1.0.</summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class CloudWatchJsSdkTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    [Fact]
    public async Task Js_sdk_puts_and_reads_metrics_over_json_1_0_and_gets_cloudwatch_errors()
    {
        var seen = await Clients.JsSdkAsync(stratus.Url, "client-cloudwatch", "cloudwatch-json10.mjs");
        Assert.Equal(7, seen["sum"]!.GetValue<double>());
        Assert.Equal(2, seen["samples"]!.GetValue<double>());
        Assert.Equal(4, seen["maximum"]!.GetValue<double>());
        Assert.Equal("""["Hits"]""", seen["metrics"]!.ToJsonString());
        Assert.Equal("InvalidParameterValueException", seen["error"]!["name"]!.GetValue<string>());
        Assert.Equal(400, seen["error"]!["status"]!.GetValue<int>());
    }
}
