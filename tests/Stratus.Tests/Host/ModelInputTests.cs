using System.Text.Json.Nodes;
using Stratus.Tests.Infrastructure;

namespace Stratus.Tests.Host;

/// <summary>
/// Every operation of every service Stratus serves, called through botocore with values its model says are wrong
/// (client-side validation off): an empty input, every member of the wrong kind or out of range, and only the
/// required members at their extremes. The hand-written corpus (<see cref="MalformedInputCorpusTests"/>) knows each
/// protocol's classic bad inputs; this one knows every operation. Each answer must be a 4xx, or 501 for what is not
/// built; none a 5xx, a hang or a dropped connection.
/// </summary>
[Trait(TestKind.Category, TestKind.EndToEnd)]
public sealed class ModelInputTests(StratusFixture stratus) : IClassFixture<StratusFixture>
{
    /// <summary>botocore's names of the services Stratus serves.</summary>
    private static readonly string[] Services =
    [
        "iam", "sts", "lambda", "apigateway", "apigatewayv2", "rds", "rds-data", "cloudformation", "cloudwatch", "logs", "ecr",
        "s3", "s3control", "ssm", "kms", "ec2", "secretsmanager", "events",
    ];

    private const string Probe = """
        import multiprocessing, socket
        # S3 Control puts the account in the host name: ACCOUNT.localhost is sent to Stratus, as on a machine resolving *.localhost.
        _resolve = socket.getaddrinfo
        socket.getaddrinfo = lambda host, *a, **kw: _resolve("127.0.0.1" if isinstance(host, str) and host.endswith(".localhost") else host, *a, **kw)
        from botocore.exceptions import ClientError, ParamValidationError, ReadTimeoutError, ConnectionClosedError, EndpointConnectionError, BotoCoreError

        # Values each wrong for some member kind: control characters, an unpaired surrogate, paths, text where numbers go.
        STRINGS = ["", "\x00\x01", "x" * 3000, "\ud800", "../../../etc/passwd", "%00%ff", "-1", "NaN", "{[", "2025-13-45T99:99:99Z", "arn:aws:nope"]
        INTEGERS = [-1, 0, 2**31, 2**63, -(2**63) - 1, 10**30]
        def wrong(shape, variant, depth=0):
            kind = shape.type_name
            if depth > 5: return None
            if kind == "string": return "NOT_AN_ENUM" if shape.enum and variant % 3 == 0 else STRINGS[variant % len(STRINGS)]
            if kind in ("integer", "long"): return INTEGERS[variant % len(INTEGERS)]
            if kind in ("float", "double"): return [float("nan"), float("inf"), -1e308][variant % 3]
            if kind == "boolean": return ["notbool", True, 2][variant % 3]
            if kind == "timestamp": return [99999999999999999, -99999999999][variant % 2]
            if kind == "blob": return [b"", b"\xff\xfe\x00" * 100][variant % 2]
            if kind == "list": return [wrong(shape.member, variant + 1, depth + 1)] * [0, 1, 3, 101 if depth == 0 else 2][variant % 4]
            if kind == "map": return {(wrong(shape.key, variant, depth + 1) or "k"): wrong(shape.value, variant + 1, depth + 1)} if variant % 2 else {}
            if kind == "structure":
                members = {}
                for name, member in shape.members.items():
                    if name in shape.required_members or variant % 2 == 0:
                        value = wrong(member, variant + len(name), depth + 1)
                        if value is not None: members[name] = value
                # botocore will not build a request for a bucket it cannot put in a URL, nor for an account it cannot put in
                # a host name (S3 Control's): a real bucket in half the variants and a real account always let the rest through.
                if depth == 0:
                    members.update({name: value for name, value in (("Bucket", "model-inputs"),) if name in shape.members and variant % 2})
                    members.update({name: "000000000000" for name in ("AccountId",) if name in shape.members})
                return members
            return None

        def probe(service):
            api = boto3.client(service, endpoint_url=URL.replace("127.0.0.1", "localhost") if service == "s3control" else URL, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                               config=Config(parameter_validation=False, inject_host_prefix=False, retries={"max_attempts": 0}, read_timeout=30, s3={"addressing_style": "path"}))
            model = api.meta.service_model
            calls, failures = 0, []
            for operation in model.operation_names:
                shape = model.operation_model(operation).input_shape
                for variant, params in enumerate([{}] + ([wrong(shape, v) for v in range(8)] if shape else [])):
                    calls += 1
                    try:
                        getattr(api, botocore.xform_name(operation))(**params)
                    except ClientError as e:
                        status, code = e.response["ResponseMetadata"].get("HTTPStatusCode", 0), e.response.get("Error", {}).get("Code")
                        if status >= 500 and not (status == 501 and code == "NotImplemented"):
                            failures.append(f"{service} {operation} variant {variant}: {status} {code} {str(e)[:160]}")
                    except (ReadTimeoutError, ConnectionClosedError, EndpointConnectionError) as e:
                        failures.append(f"{service} {operation} variant {variant}: {type(e).__name__}")
                    except (ParamValidationError, BotoCoreError, TypeError, ValueError, AttributeError, KeyError, UnicodeError, RuntimeError):
                        calls -= 1  # botocore itself could not serialize the value: nothing was sent
            return service, calls, failures

        client("s3").create_bucket(Bucket="model-inputs")
        with multiprocessing.Pool(2) as pool:
            results = pool.map(probe, SERVICES, chunksize=1)
        out["calls"] = {service: calls for service, calls, _ in results}
        out["failures"] = [failure for _, _, found in results for failure in found]
        """;

    [Fact]
    public async Task Every_operation_answers_wrong_values_with_4xx_and_never_a_5xx()
    {
        var script = $"SERVICES = {new JsonArray([.. Services.Select(s => (JsonNode)s)]).ToJsonString()}\n" + Probe;
        var result = await Clients.Boto3Async(stratus.Url, script, TimeSpan.FromMinutes(15));

        var failures = result["failures"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} calls failed:\n" + string.Join("\n", failures.Take(40)));
        // Every service was reached, with a call for each operation and more.
        foreach (var service in Services)
            Assert.True(result["calls"]![service]!.GetValue<int>() > 10, $"{service}: {result["calls"]![service]} calls");
        using var http = new HttpClient();
        var health = JsonNode.Parse(await http.GetStringAsync(stratus.Url + "/_stratus/health"))!;
        Assert.Equal("running", health["status"]!.GetValue<string>());
    }
}
