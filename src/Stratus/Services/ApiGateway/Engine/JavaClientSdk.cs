using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// Generates the Java client SDK of a deployed stage (GetSdk with sdkType java): a Maven or Gradle project (javaBuildSystem) whose one
/// class, {serviceName}Client in javaPackageName, has a method per method of the stage, named as the JavaScript SDK names them, taking the
/// parameters by name and a body. It calls the stage with java.net.http and signs AWS_IAM methods with Signature Version 4 through
/// javax.crypto, so it needs Java 17 and nothing else. Stratus writes every line of it; the API's names and paths go in as Java string
/// literals only, and the method names are the letters and digits <see cref="SdkOperations.FunctionName"/> leaves.
/// </summary>
public static partial class JavaClientSdk
{
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,127}$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
    private static partial Regex PackageName();

    public static byte[] Generate(RestApi api, string stageName, DeploymentDocument deployment, string invokeUrl, string region,
        IReadOnlyDictionary<string, string> parameters)
    {
        var serviceName = parameters["serviceName"];
        var package = parameters["javaPackageName"];
        if (!Identifier().IsMatch(serviceName))
            throw ApiGatewayErrors.BadRequest($"Invalid serviceName: {serviceName}. It names a Java class: a letter, then letters, digits or _");
        if (!PackageName().IsMatch(package) || package.Length > 255)
            throw ApiGatewayErrors.BadRequest($"Invalid javaPackageName: {package}. Expected lower-case Java identifiers separated by dots");
        var buildSystem = parameters.GetValueOrDefault("javaBuildSystem", "maven");
        if (buildSystem is not ("maven" or "gradle"))
            throw ApiGatewayErrors.BadRequest($"Invalid javaBuildSystem: {buildSystem}. Expected maven or gradle");
        var groupId = parameters.GetValueOrDefault("javaGroupId", package);
        var artifactId = parameters.GetValueOrDefault("javaArtifactId", serviceName.ToLowerInvariant() + "-sdk");
        var version = parameters.GetValueOrDefault("javaArtifactVersion", "1.0.0");
        foreach (var (name, value) in new[] { ("javaGroupId", groupId), ("javaArtifactId", artifactId), ("javaArtifactVersion", version) })
            if (!MavenCoordinate().IsMatch(value)) throw ApiGatewayErrors.BadRequest($"Invalid {name}: {value}. Expected letters, digits and . _ -");

        var operations = SdkOperations.Of(deployment);
        var className = serviceName + "Client";
        var root = artifactId + "/";
        var source = $"{root}src/main/java/{package.Replace('.', '/')}/{className}.java";
        var build = buildSystem == "maven"
            ? (root + "pom.xml", Pom(groupId, artifactId, version))
            : (root + "build.gradle", Gradle(groupId, version));
        return SdkOperations.Zip([(source, Client(package, className, operations, invokeUrl, region)), build,
            (root + "README.md", Readme(api, stageName, invokeUrl, package, className, buildSystem, operations))]);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,128}$")]
    private static partial Regex MavenCoordinate();

    /// <summary>
    /// A Java string literal of any text: backslash and quote escaped, control characters as octal escapes, never \u escapes, which javac
    /// reads before it reads the literal.
    /// </summary>
    public static string Literal(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (var c in text)
            literal.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                < ' ' or '\u007f' => "\\" + Convert.ToString(c, 8).PadLeft(3, '0'),
                _ => c.ToString(),
            });
        return literal.Append('"').ToString();
    }

    private static string Parameters(IEnumerable<SdkParameter> parameters) =>
        "List.of(" + string.Join(", ", parameters.Select(p => $"new Parameter({Literal(p.Name)}, {(p.Required ? "true" : "false")})")) + ")";

    private static string Client(string package, string className, List<SdkOperation> operations, string invokeUrl, string region)
    {
        var declarations = new StringBuilder();
        var methods = new StringBuilder();
        foreach (var operation in operations)
        {
            declarations.AppendLine(CultureInfo.InvariantCulture, $"    private static final Operation {operation.Name}Operation = new Operation(")
                .AppendLine(CultureInfo.InvariantCulture, $"        {Literal(operation.Name)}, {Literal(operation.Method)}, {Literal(operation.Path)},")
                .AppendLine(CultureInfo.InvariantCulture, $"        List.of({string.Join(", ", operation.PathParameters.Select(Literal))}),")
                .AppendLine(CultureInfo.InvariantCulture, $"        {Parameters(operation.QueryParameters)},")
                .AppendLine(CultureInfo.InvariantCulture, $"        {Parameters(operation.HeaderParameters)}, {Literal(operation.AuthorizationType)});");
            methods.AppendLine(CultureInfo.InvariantCulture, $"    /** {operation.Method} {Comment(operation.Path)} */")
                .AppendLine(CultureInfo.InvariantCulture, $"    public Response {operation.Name}(Map<String, String> params, String body) throws IOException, InterruptedException {{")
                .AppendLine(CultureInfo.InvariantCulture, $"        return invoke({operation.Name}Operation, params, body);")
                .AppendLine("    }").AppendLine();
        }
        return ClientTemplate.Replace("{{PACKAGE}}", package, StringComparison.Ordinal)
            .Replace("{{CLASS}}", className, StringComparison.Ordinal)
            .Replace("{{INVOKE_URL}}", Literal(invokeUrl), StringComparison.Ordinal)
            .Replace("{{REGION}}", Literal(region), StringComparison.Ordinal)
            .Replace("{{OPERATIONS}}", declarations.ToString(), StringComparison.Ordinal)
            .Replace("{{METHODS}}", methods.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A path inside a Javadoc comment: no sequence that ends the comment, no \u escape, no line break.</summary>
    private static string Comment(string path) => new string([.. path.Replace("*/", "*&#47;", StringComparison.Ordinal)
        .Replace("\\", "&#92;", StringComparison.Ordinal).Select(c => char.IsControl(c) ? '?' : c)]);

    private static string Pom(string groupId, string artifactId, string version) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                 xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
          <modelVersion>4.0.0</modelVersion>
          <groupId>{groupId}</groupId>
          <artifactId>{artifactId}</artifactId>
          <version>{version}</version>
          <packaging>jar</packaging>
          <properties>
            <maven.compiler.release>17</maven.compiler.release>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
        </project>

        """;

    private static string Gradle(string groupId, string version) => $$"""
        plugins {
            id 'java-library'
        }

        group = '{{groupId}}'
        version = '{{version}}'

        java {
            toolchain {
                languageVersion = JavaLanguageVersion.of(17)
            }
        }

        tasks.withType(JavaCompile).configureEach {
            options.encoding = 'UTF-8'
        }

        """;

    private static string Readme(RestApi api, string stageName, string invokeUrl, string package, string className, string buildSystem,
        List<SdkOperation> operations)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Java client for {api.Name}, stage {stageName}").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Generated by Stratus from the deployed stage. It calls {invokeUrl}.").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Java 17 or later, no dependency; build it with {buildSystem} or compile the one source file with javac.").AppendLine()
            .AppendLine("```java")
            .AppendLine(CultureInfo.InvariantCulture, $"var client = new {package}.{className}()")
            .AppendLine("    .withApiKey(\"KEY\")                                 // sent as x-api-key")
            .AppendLine("    .withCredentials(\"AKID\", \"SECRET\", null)           // signs AWS_IAM methods (Signature Version 4)")
            .AppendLine("    .withRegion(\"us-east-1\");")
            .AppendLine("var response = client.rootGet(Map.of(/* path, query string and header parameters by name */), null /* body */);")
            .AppendLine("System.out.println(response.status() + \" \" + response.body());")
            .AppendLine("```").AppendLine()
            .AppendLine("A missing required parameter throws IllegalArgumentException before anything is sent; every HTTP status is a Response.").AppendLine()
            .AppendLine("## Methods, each `name(Map<String, String> params, String body)`").AppendLine();
        SdkOperations.Describe(text, operations);
        return text.ToString();
    }

    /// <summary>The client class, the same for every API but for its name, package, invoke URL, operations and their methods.</summary>
    private const string ClientTemplate = """
        package {{PACKAGE}};

        import java.io.IOException;
        import java.net.URI;
        import java.net.http.HttpClient;
        import java.net.http.HttpRequest;
        import java.net.http.HttpResponse;
        import java.nio.charset.StandardCharsets;
        import java.security.GeneralSecurityException;
        import java.security.MessageDigest;
        import java.time.ZoneOffset;
        import java.time.ZonedDateTime;
        import java.time.format.DateTimeFormatter;
        import java.util.ArrayList;
        import java.util.Comparator;
        import java.util.List;
        import java.util.Locale;
        import java.util.Map;
        import java.util.StringJoiner;
        import java.util.TreeMap;
        import javax.crypto.Mac;
        import javax.crypto.spec.SecretKeySpec;

        /**
         * A client for an API Gateway REST API stage, generated by Stratus: one method per method of the stage, each taking its path,
         * query string and header parameters by name and a body (or null), and answering the response.
         */
        public final class {{CLASS}} {
            /** A response: its status, its headers and its body as text. */
            public record Response(int status, Map<String, List<String>> headers, String body) {}

            private record Parameter(String name, boolean required) {}

            private record Operation(String name, String method, String path, List<String> pathParameters,
                List<Parameter> queryParameters, List<Parameter> headerParameters, String authorizationType) {}

            private static final String INVOKE_URL = {{INVOKE_URL}};
            private static final String REGION = {{REGION}};

        {{OPERATIONS}}
            private final HttpClient http = HttpClient.newHttpClient();
            private String invokeUrl = INVOKE_URL;
            private String region = REGION;
            private String apiKey;
            private String accessKey;
            private String secretKey;
            private String sessionToken;

            /** Another invoke URL for the same API, if the stage is reached elsewhere. */
            public {{CLASS}} withInvokeUrl(String value) { invokeUrl = value; return this; }

            /** The API key, sent as x-api-key. */
            public {{CLASS}} withApiKey(String value) { apiKey = value; return this; }

            /** The credentials that sign AWS_IAM methods; the session token may be null. */
            public {{CLASS}} withCredentials(String accessKeyId, String secretAccessKey, String token) {
                accessKey = accessKeyId;
                secretKey = secretAccessKey;
                sessionToken = token;
                return this;
            }

            /** The Region requests are signed for. */
            public {{CLASS}} withRegion(String value) { region = value; return this; }

        {{METHODS}}
            private Response invoke(Operation operation, Map<String, String> params, String body) throws IOException, InterruptedException {
                Map<String, String> given = params == null ? Map.of() : params;
                for (String name : operation.pathParameters())
                    if (given.get(name) == null) throw new IllegalArgumentException(operation.name() + ": the path parameter " + name + " is required");
                for (List<Parameter> declared : List.of(operation.queryParameters(), operation.headerParameters()))
                    for (Parameter parameter : declared)
                        if (parameter.required() && given.get(parameter.name()) == null)
                            throw new IllegalArgumentException(operation.name() + ": the parameter " + parameter.name() + " is required");
                URI base = URI.create(invokeUrl);
                String basePath = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/$", "");
                String path = basePath + fillPath(operation.path(), given);
                List<String[]> query = new ArrayList<>();
                for (Parameter parameter : operation.queryParameters())
                    if (given.get(parameter.name()) != null) query.add(new String[] { parameter.name(), given.get(parameter.name()) });
                TreeMap<String, String> headers = new TreeMap<>();
                headers.put("accept", "application/json");
                for (Parameter parameter : operation.headerParameters())
                    if (given.get(parameter.name()) != null) headers.put(parameter.name().toLowerCase(Locale.ROOT), given.get(parameter.name()));
                if (apiKey != null) headers.put("x-api-key", apiKey);
                // An ANY method is sent as GET; withInvokeUrl and the other methods reach the rest.
                String method = operation.method().equals("ANY") ? "GET" : operation.method();
                byte[] payload = body == null || method.equals("GET") || method.equals("HEAD") ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
                if (payload.length > 0) headers.putIfAbsent("content-type", "application/json");
                if (operation.authorizationType().equals("AWS_IAM")) {
                    if (accessKey == null || secretKey == null)
                        throw new IllegalStateException(operation.name() + " uses AWS_IAM authorization: call withCredentials first");
                    sign(method, base.getRawAuthority(), path, query, headers, payload);
                }
                StringJoiner queryString = new StringJoiner("&");
                for (String[] pair : query) queryString.add(encode(pair[0]) + "=" + encode(pair[1]));
                URI target = URI.create(base.getScheme() + "://" + base.getRawAuthority() + path + (query.isEmpty() ? "" : "?" + queryString));
                HttpRequest.Builder request = HttpRequest.newBuilder(target)
                    .method(method, payload.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(payload));
                headers.forEach(request::header);
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                return new Response(response.statusCode(), response.headers().map(), response.body());
            }

            /** RFC 3986 percent-encoding of UTF-8, as Signature Version 4 asks for. */
            private static String encode(String value) {
                StringBuilder encoded = new StringBuilder();
                for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
                    int c = b & 0xff;
                    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~')
                        encoded.append((char) c);
                    else
                        encoded.append('%').append(String.format("%02X", c));
                }
                return encoded.toString();
            }

            /** The path with its parameters put in; a greedy {name+} parameter may span segments, each encoded, the slashes kept. */
            private static String fillPath(String template, Map<String, String> params) {
                StringBuilder path = new StringBuilder();
                for (String segment : template.split("/")) {
                    if (segment.isEmpty()) continue;
                    path.append('/');
                    if (segment.startsWith("{") && segment.endsWith("}")) {
                        boolean greedy = segment.endsWith("+}");
                        String value = params.get(segment.substring(1, segment.length() - (greedy ? 2 : 1)));
                        if (greedy) {
                            StringJoiner parts = new StringJoiner("/");
                            for (String part : value.split("/", -1)) parts.add(encode(part));
                            path.append(parts);
                        } else {
                            path.append(encode(value));
                        }
                    } else {
                        path.append(segment);
                    }
                }
                return path.length() == 0 ? "/" : path.toString();
            }

            /** Signature Version 4 for execute-api: adds x-amz-date, x-amz-security-token and authorization to the headers. */
            private void sign(String method, String host, String path, List<String[]> query, TreeMap<String, String> headers, byte[] payload) {
                try {
                    String amzDate = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC));
                    String day = amzDate.substring(0, 8);
                    headers.put("x-amz-date", amzDate);
                    if (sessionToken != null) headers.put("x-amz-security-token", sessionToken);
                    TreeMap<String, String> signed = new TreeMap<>(headers);
                    signed.put("host", host);
                    StringBuilder canonicalHeaders = new StringBuilder();
                    signed.forEach((name, value) -> canonicalHeaders.append(name).append(':').append(value.trim().replaceAll("\\s+", " ")).append('\n'));
                    String signedHeaders = String.join(";", signed.keySet());
                    List<String[]> pairs = new ArrayList<>();
                    for (String[] pair : query) pairs.add(new String[] { encode(pair[0]), encode(pair[1]) });
                    pairs.sort(Comparator.<String[], String>comparing(pair -> pair[0]).thenComparing(pair -> pair[1]));
                    StringJoiner canonicalQuery = new StringJoiner("&");
                    for (String[] pair : pairs) canonicalQuery.add(pair[0] + "=" + pair[1]);
                    // The path as sent, each segment encoded once more: every service but S3 signs the twice-encoded path.
                    StringJoiner canonicalPath = new StringJoiner("/");
                    for (String segment : path.split("/", -1)) canonicalPath.add(encode(segment));
                    String canonicalRequest = String.join("\n", method, canonicalPath.toString(), canonicalQuery.toString(),
                        canonicalHeaders.toString(), signedHeaders, hex(MessageDigest.getInstance("SHA-256").digest(payload)));
                    String scope = day + "/" + region + "/execute-api/aws4_request";
                    String stringToSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope,
                        hex(MessageDigest.getInstance("SHA-256").digest(canonicalRequest.getBytes(StandardCharsets.UTF_8))));
                    byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), day);
                    key = hmac(key, region);
                    key = hmac(key, "execute-api");
                    key = hmac(key, "aws4_request");
                    headers.put("authorization", "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope + ", SignedHeaders=" + signedHeaders
                        + ", Signature=" + hex(hmac(key, stringToSign)));
                } catch (GeneralSecurityException unavailable) {
                    throw new IllegalStateException("SHA-256 and HmacSHA256 are needed to sign requests", unavailable);
                }
            }

            private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
            }

            private static String hex(byte[] bytes) {
                StringBuilder hex = new StringBuilder();
                for (byte b : bytes) hex.append(String.format("%02x", b & 0xff));
                return hex.toString();
            }
        }

        """;
}
