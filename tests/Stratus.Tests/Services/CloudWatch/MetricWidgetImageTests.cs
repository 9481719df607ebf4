using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Services.CloudWatch;

/// <summary>
/// GetMetricWidgetImage through boto3 (CBOR) and a hand-signed Query request (image/png): the PNG is decoded by the
/// test itself (signature, chunk CRCs, zlib scanlines) and its pixels checked where the data is and where it is not.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class MetricWidgetImageTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>Python that decodes an RGB PNG as Stratus writes it and finds the pixels of one colour.</summary>
    private const string PngDecoder = """
        import struct, zlib, datetime
        def decode(png):
            assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:8]
            at, chunks = 8, []
            while at < len(png):
                length, kind = struct.unpack(">I4s", png[at:at + 8])
                data = png[at + 8:at + 8 + length]
                assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data), kind
                chunks.append((kind, data))
                at += 12 + length
            assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1][0] == b"IEND"
            width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
            assert (depth, colour) == (8, 2)
            raw = zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT"))
            stride = 1 + 3 * width
            assert len(raw) == stride * height
            rows = []
            for y in range(height):
                assert raw[y * stride] == 0
                rows.append(raw[y * stride + 1:(y + 1) * stride])
            return width, height, rows
        def pixels(rows, rgb):
            return [(x, y) for y, row in enumerate(rows) for x in range(len(row) // 3) if tuple(row[3 * x:3 * x + 3]) == rgb]
        RED, GREEN, PURPLE = (0xd6, 0x27, 0x28), (0x2c, 0xa0, 0x2c), (0x94, 0x67, 0xbd)
        """;

    [Fact]
    public async Task The_image_draws_each_series_where_its_data_is_and_nothing_where_there_is_none()
    {
        var result = await Clients.Boto3Async(stratus.Url, PngDecoder + "\n" + """
            cw = client("cloudwatch")
            now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
            # Orders for the north store rise minute by minute over the last 50 minutes of the 3 hour graph; the south store has none.
            cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Dimensions": [{"Name": "Store", "Value": "north"}],
                "Timestamp": now - datetime.timedelta(minutes=50 - i), "Value": float(i + 1)} for i in range(40)])
            widget = {"metrics": [["Shop", "Orders", "Store", "north", {"color": "#d62728", "label": "north orders"}],
                                  [".", ".", ".", "south", {"color": "#2ca02c"}]],
                      "period": 60, "stat": "Sum", "start": "-PT3H", "end": "-PT0H", "width": 640, "height": 300, "title": "Orders per minute"}
            image = cw.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"]
            out["type"] = type(image).__name__
            width, height, rows = decode(image)
            out["size"] = [width, height]
            red, green = pixels(rows, RED), pixels(rows, GREEN)
            legend_top = height - 30
            red_plot = [(x, y) for x, y in red if y < legend_top]
            out["red_in_plot"] = len(red_plot)
            out["red_leftmost"] = min(x for x, _ in red_plot) / width
            left_edge, right_edge = min(x for x, _ in red_plot), max(x for x, _ in red_plot)
            out["rises"] = (sum(y for x, y in red_plot if x < left_edge + 10) / len([1 for x, _ in red_plot if x < left_edge + 10])
                > sum(y for x, y in red_plot if x > right_edge - 10) / len([1 for x, _ in red_plot if x > right_edge - 10]))
            out["green_in_plot"] = len([1 for _, y in green if y < legend_top])
            out["green_in_legend"] = len(green)

            empty = {"metrics": [["Shop", "Nothing", {"color": "#d62728"}]], "start": "-PT3H", "width": 400, "height": 200}
            width, height, rows = decode(cw.get_metric_widget_image(MetricWidget=json.dumps(empty))["MetricWidgetImage"])
            out["empty_size"] = [width, height]
            out["empty_red_in_plot"] = len([1 for _, y in pixels(rows, RED) if y < height - 30])
            out["empty_red_in_legend"] = len(pixels(rows, RED))

            # A hidden metric feeds an expression: only the expression's line is drawn.
            math = {"metrics": [["Shop", "Orders", "Store", "north", {"id": "m1", "visible": False, "color": "#d62728"}],
                                [{"expression": "m1 * 2", "label": "doubled", "color": "#9467bd"}]],
                    "period": 60, "stat": "Sum", "start": "-PT1H"}
            width, height, rows = decode(cw.get_metric_widget_image(MetricWidget=json.dumps(math))["MetricWidgetImage"])
            out["math_size"] = [width, height]
            out["math_purple"] = len([1 for _, y in pixels(rows, PURPLE) if y < height - 30])
            out["math_red"] = len(pixels(rows, RED))
            """);

        Assert.Equal("bytes", (string)result["type"]!);
        Assert.Equal("[640,300]", result["size"]!.ToJsonString());
        Assert.True((int)result["red_in_plot"]! > 100, result.ToJsonString());
        // The data covers the last 50 of 180 minutes: nothing red left of about 72% of the plot.
        Assert.True((double)result["red_leftmost"]! > 0.6, result.ToJsonString());
        Assert.True((bool)result["rises"]!, result.ToJsonString());
        Assert.Equal(0, (int)result["green_in_plot"]!);
        Assert.Equal(64, (int)result["green_in_legend"]!);
        Assert.Equal("[400,200]", result["empty_size"]!.ToJsonString());
        Assert.Equal(0, (int)result["empty_red_in_plot"]!);
        Assert.Equal(64, (int)result["empty_red_in_legend"]!);
        Assert.Equal("[600,400]", result["math_size"]!.ToJsonString());
        Assert.True((int)result["math_purple"]! > 100, result.ToJsonString());
        Assert.Equal(0, (int)result["math_red"]!);
    }

    [Fact]
    public async Task Invalid_widgets_are_refused_as_CloudWatch_refuses_them_and_image_png_answers_the_bare_image()
    {
        var result = await Clients.Boto3Async(stratus.Url, PngDecoder + "\n" + """
            import urllib.request, urllib.parse
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            cw = client("cloudwatch")
            def refused(widget, **kw):
                return error(cw.get_metric_widget_image, MetricWidget=widget if isinstance(widget, str) else json.dumps(widget), **kw)
            out["too_wide"] = refused({"metrics": [["Shop", "Orders"]], "width": 2001})
            out["no_metrics"] = refused({"title": "empty"})
            out["dot_first"] = refused({"metrics": [[".", "Orders"]]})
            out["odd_dimensions"] = refused({"metrics": [["Shop", "Orders", "Store"]]})
            out["bad_start"] = refused({"metrics": [["Shop", "Orders"]], "start": "yesterday"})
            out["bad_stat"] = refused({"metrics": [["Shop", "Orders", {"stat": "Median"}]]})
            out["stacked"] = refused({"metrics": [["Shop", "Orders"]], "stacked": True})
            out["not_json"] = refused("{metrics")
            out["bad_format"] = refused({"metrics": [["Shop", "Orders"]]}, OutputFormat="jpeg")

            body = urllib.parse.urlencode({"Action": "GetMetricWidgetImage", "Version": "2010-08-01", "OutputFormat": "image/png",
                "MetricWidget": json.dumps({"metrics": [["Shop", "Orders"]], "width": 120, "height": 80})})
            request = AWSRequest(method="POST", url=URL + "/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
            SigV4Auth(Credentials("test", "test"), "monitoring", "us-east-1").add_auth(request)
            with urllib.request.urlopen(urllib.request.Request(URL + "/", data=body.encode(), headers=dict(request.headers), method="POST")) as response:
                out["bare_type"] = response.headers["Content-Type"]
                width, height, _ = decode(response.read())
                out["bare_size"] = [width, height]
            """);

        Assert.Equal("InvalidParameterInput", (string)result["too_wide"]!["code"]!);
        Assert.StartsWith("The metric widget is invalid, there are 1 validation errors:\n[\n  {\n    \"dataPath\": \"/width\",\n    \"message\": \"Should be <= 2000\"",
            (string)result["too_wide"]!["message"]!);
        Assert.Contains("Should have required property 'metrics'", (string)result["no_metrics"]!["message"]!);
        Assert.Contains("\"dataPath\": \"/metrics/0/0\"", (string)result["dot_first"]!["message"]!);
        Assert.Contains("A metric is [Namespace, MetricName] followed by dimension name and value pairs", (string)result["odd_dimensions"]!["message"]!);
        Assert.Contains("\"dataPath\": \"/start\"", (string)result["bad_start"]!["message"]!);
        Assert.Contains("The statistic Median is not valid", (string)result["bad_stat"]!["message"]!);
        Assert.Contains("Stratus does not draw stacked graphs", (string)result["stacked"]!["message"]!);
        Assert.Equal("InvalidParameterValue", (string)result["not_json"]!["code"]!);
        Assert.Equal("InvalidParameterValue", (string)result["bad_format"]!["code"]!);
        Assert.Equal(400, (int)result["bad_format"]!["status"]!);
        Assert.Equal("image/png", (string)result["bare_type"]!);
        Assert.Equal("[120,80]", result["bare_size"]!.ToJsonString());
    }
}
