using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.ApiGateway.Engine;

/// <summary>
/// Generates the JavaScript client SDK of a deployed stage (GetSdk with sdkType javascript): a zip of <c>apigClient.js</c> and a README.
/// The client has one function per method of the stage's resources, named as API Gateway names them (the path's segments in camel case,
/// then the method: <c>petsPetIdGet</c> for GET /pets/{petId}), taking its path, query string and header parameters, a body and
/// additional headers and query parameters. It calls the stage's invoke URL with fetch, adds the API key, and signs AWS_IAM methods with
/// Signature Version 4 through Web Crypto, so it runs unchanged in Node 18 and later and in browsers, with no library beside it. Stratus
/// writes every line of it; the stage's operations go in as one JSON document, so no name or path of the API becomes code.
/// </summary>
public static partial class JavaScriptClientSdk
{
    public static byte[] Generate(RestApi api, string stageName, DeploymentDocument deployment, string invokeUrl, string region)
    {
        var operations = Operations(deployment);
        var description = new JsonObject
        {
            ["apiId"] = api.Id,
            ["apiName"] = api.Name,
            ["stage"] = stageName,
            ["invokeUrl"] = invokeUrl,
            ["region"] = region,
            ["operations"] = new JsonArray([.. operations]),
        };
        // ToJsonString's default encoder escapes <, >, &, quotes and every non-ASCII character (U+2028 too), so the document is inert
        // inside the script, even when a browser loads it inline.
        var client = ClientTemplate.Replace(DescriptionPlaceholder, description.ToJsonString(), StringComparison.Ordinal);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "apiGateway-js-sdk/apigClient.js", client);
            Add(zip, "apiGateway-js-sdk/README.md", Readme(api, stageName, invokeUrl, operations));
        }
        return buffer.ToArray();
    }

    private static void Add(ZipArchive zip, string path, string text)
    {
        using var entry = zip.CreateEntry(path, CompressionLevel.Optimal).Open();
        entry.Write(Encoding.UTF8.GetBytes(text));
    }

    [GeneratedRegex(@"^\{([^{}+]+)(\+?)\}$")]
    private static partial Regex PathParameter();

    private const string RequestParameterPrefix = "method.request.";

    /// <summary>The stage's methods, ordered by path and method, each with the parameters its path and its method request declare.</summary>
    private static List<JsonObject> Operations(DeploymentDocument deployment)
    {
        var operations = new List<JsonObject>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in deployment.Resources.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
        foreach (var method in (resource.ResourceMethods ?? []).Values.OrderBy(m => m.HttpMethod, StringComparer.Ordinal))
        {
            var pathParameters = resource.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Select(segment => PathParameter().Match(segment)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
            var declared = (method.RequestParameters ?? []).Where(p => p.Key.StartsWith(RequestParameterPrefix, StringComparison.Ordinal))
                .Select(p => (Location: p.Key[RequestParameterPrefix.Length..].Split('.', 2), Required: p.Value))
                .Where(p => p.Location.Length == 2).ToList();
            JsonArray Declared(string location) => [.. declared.Where(p => p.Location[0] == location).OrderBy(p => p.Location[1], StringComparer.Ordinal)
                .Select(p => new JsonObject { ["name"] = p.Location[1], ["required"] = p.Required })];
            operations.Add(new JsonObject
            {
                ["name"] = UniqueName(names, FunctionName(resource.Path, method.HttpMethod)),
                ["method"] = method.HttpMethod,
                ["path"] = resource.Path,
                ["pathParams"] = new JsonArray([.. pathParameters.Select(p => JsonValue.Create(p))]),
                ["queryParams"] = Declared("querystring"),
                ["headerParams"] = Declared("header"),
                ["authorizationType"] = method.AuthorizationType,
                ["apiKeyRequired"] = method.ApiKeyRequired,
            });
        }
        return operations;
    }

    /// <summary>API Gateway's function names: "root" for /, else each segment's letters and digits in camel case; then the method, capitalized.</summary>
    public static string FunctionName(string path, string httpMethod)
    {
        var words = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(segment => NonWord().Split(segment)).Where(w => w.Length > 0).ToList();
        var name = new StringBuilder(words.Count == 0 ? "root" : "");
        foreach (var word in words)
            name.Append(name.Length == 0 ? char.ToLowerInvariant(word[0]) : char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        if (!char.IsAsciiLetter(name[0])) name.Insert(0, "op");
        var method = httpMethod.ToLowerInvariant();
        return name.Append(char.ToUpperInvariant(method[0])).Append(method.AsSpan(1)).ToString();
    }

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NonWord();

    /// <summary>Two paths that differ only in punctuation would share a name: the later one is numbered.</summary>
    private static string UniqueName(HashSet<string> names, string name)
    {
        var unique = name;
        for (var n = 2; !names.Add(unique); n++) unique = name + n;
        return unique;
    }

    private static string Readme(RestApi api, string stageName, string invokeUrl, List<JsonObject> operations)
    {
        var text = new StringBuilder();
        text.AppendLine($"# JavaScript client for {api.Name}, stage {stageName}").AppendLine()
            .AppendLine($"Generated by Stratus from the deployed stage. It calls {invokeUrl}.").AppendLine()
            .AppendLine("It needs fetch and Web Crypto, which Node 18 and later and every current browser have; it loads no other library.").AppendLine()
            .AppendLine("```js")
            .AppendLine("const apigClientFactory = require('./apigClient.js'); // in a browser: <script src=\"apigClient.js\"></script>")
            .AppendLine("const client = apigClientFactory.newClient({")
            .AppendLine("  apiKey: 'KEY',              // sent as x-api-key, for methods that require an API key")
            .AppendLine("  accessKey: 'AKID', secretKey: 'SECRET', sessionToken: undefined, region: 'us-east-1', // to sign AWS_IAM methods")
            .AppendLine("  invokeUrl: undefined,       // another invoke URL for the same API, if the stage is reached elsewhere")
            .AppendLine("});")
            .AppendLine("const answer = await client.rootGet({ /* path, query string and header parameters by name */ }, /* body */ undefined,")
            .AppendLine("  { headers: {}, queryParams: {} });")
            .AppendLine("console.log(answer.status, answer.headers, answer.data); // data is parsed JSON when the body is JSON")
            .AppendLine("```").AppendLine()
            .AppendLine("A promise is rejected when a required parameter is missing or the request cannot be sent; every HTTP status resolves it.").AppendLine()
            .AppendLine("## Methods").AppendLine();
        foreach (var operation in operations)
        {
            var parameters = operation["pathParams"]!.AsArray().Select(p => p!.GetValue<string>())
                .Concat(operation["queryParams"]!.AsArray().Concat(operation["headerParams"]!.AsArray()).Select(p => p!["name"]!.GetValue<string>()));
            text.AppendLine($"- `{operation["name"]}(params, body, additionalParams)`: {operation["method"]} {operation["path"]}"
                + $" (authorization {operation["authorizationType"]}{(operation["apiKeyRequired"]!.GetValue<bool>() ? ", API key" : "")});"
                + $" parameters: {string.Join(", ", parameters.DefaultIfEmpty("none"))}");
        }
        return text.ToString();
    }

    private const string DescriptionPlaceholder = "/*STAGE_DESCRIPTION*/null";

    /// <summary>The client, the same for every API: the stage's description is the one thing put in.</summary>
    private const string ClientTemplate = """
        /*
         * apigClient.js: a client for an API Gateway REST API stage, generated by Stratus.
         * newClient(config) answers an object with one function per method of the stage: fn(params, body, additionalParams),
         * returning a Promise of { status, headers, data }. See README.md.
         */
        (function (root, factory) {
          if (typeof module === 'object' && module.exports) module.exports = factory();
          else root.apigClientFactory = factory();
        }(typeof self !== 'undefined' ? self : this, function () {
          'use strict';

          var STAGE = /*STAGE_DESCRIPTION*/null;

          var utf8 = new TextEncoder();

          // RFC 3986 percent-encoding, which Signature Version 4 asks for: encodeURIComponent leaves !'()* alone.
          function encode(value) {
            return encodeURIComponent(value).replace(/[!'()*]/g, function (c) {
              return '%' + c.charCodeAt(0).toString(16).toUpperCase();
            });
          }

          function toHex(buffer) {
            return Array.from(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, '0'); }).join('');
          }

          function webCrypto() {
            var crypto = globalThis.crypto;
            if (!crypto || !crypto.subtle) throw new Error('Signing an AWS_IAM request needs Web Crypto (crypto.subtle)');
            return crypto.subtle;
          }

          function asBytes(data) { return typeof data === 'string' ? utf8.encode(data) : data; }

          async function sha256Hex(data) { return toHex(await webCrypto().digest('SHA-256', asBytes(data))); }

          async function hmac(key, data) {
            var imported = await webCrypto().importKey('raw', asBytes(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
            return webCrypto().sign('HMAC', imported, asBytes(data));
          }

          // Signature Version 4 for execute-api: adds x-amz-date, x-amz-security-token and authorization to request.headers
          // (lower-case names); host is signed from the URL, which fetch sends as the Host header.
          async function signRequest(request, credentials) {
            var amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
            var day = amzDate.slice(0, 8);
            var headers = request.headers;
            headers['x-amz-date'] = amzDate;
            if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
            var signed = Object.assign({ host: request.host }, headers);
            var names = Object.keys(signed).sort();
            var canonicalHeaders = names.map(function (name) {
              return name + ':' + String(signed[name]).trim().replace(/\s+/g, ' ') + '\n';
            }).join('');
            var canonicalQuery = request.query.map(function (pair) { return [encode(pair[0]), encode(pair[1])]; })
              .sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0; })
              .map(function (pair) { return pair[0] + '=' + pair[1]; }).join('&');
            // The path as sent, each segment encoded once more: every service but S3 signs the twice-encoded path.
            var canonicalPath = request.path.split('/').map(encode).join('/');
            var canonicalRequest = [request.method, canonicalPath, canonicalQuery, canonicalHeaders, names.join(';'),
              await sha256Hex(request.body === undefined ? '' : request.body)].join('\n');
            var scope = day + '/' + credentials.region + '/execute-api/aws4_request';
            var stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256Hex(canonicalRequest)].join('\n');
            var key = await hmac('AWS4' + credentials.secretKey, day);
            key = await hmac(key, credentials.region);
            key = await hmac(key, 'execute-api');
            key = await hmac(key, 'aws4_request');
            headers['authorization'] = 'AWS4-HMAC-SHA256 Credential=' + credentials.accessKey + '/' + scope
              + ', SignedHeaders=' + names.join(';') + ', Signature=' + toHex(await hmac(key, stringToSign));
          }

          function isGiven(value) { return value !== undefined && value !== null; }

          function fillPath(operation, params) {
            return operation.path.replace(/\{([^{}+]+)(\+?)\}/g, function (_, name, greedy) {
              var value = String(params[name]);
              // A greedy {name+} parameter may span segments: each is encoded, the slashes kept.
              return greedy ? value.split('/').map(encode).join('/') : encode(value);
            });
          }

          async function invoke(operation, config, params, body, additional) {
            params = params || {};
            additional = additional || {};
            operation.pathParams.forEach(function (name) {
              if (!isGiven(params[name])) throw new Error(operation.name + ': the path parameter ' + name + ' is required');
            });
            operation.queryParams.concat(operation.headerParams).forEach(function (p) {
              if (p.required && !isGiven(params[p.name])) throw new Error(operation.name + ': the parameter ' + p.name + ' is required');
            });
            var base = new URL(config.invokeUrl || STAGE.invokeUrl);
            var path = base.pathname.replace(/\/$/, '') + fillPath(operation, params);
            var query = [];
            operation.queryParams.forEach(function (p) { if (isGiven(params[p.name])) query.push([p.name, String(params[p.name])]); });
            Object.keys(additional.queryParams || {}).forEach(function (name) { query.push([name, String(additional.queryParams[name])]); });
            var headers = { accept: config.defaultAcceptType || 'application/json' };
            operation.headerParams.forEach(function (p) { if (isGiven(params[p.name])) headers[p.name.toLowerCase()] = String(params[p.name]); });
            Object.keys(additional.headers || {}).forEach(function (name) { headers[name.toLowerCase()] = String(additional.headers[name]); });
            if (config.apiKey) headers['x-api-key'] = config.apiKey;
            // An ANY method is sent with the method additionalParams names, GET by default.
            var method = operation.method === 'ANY' ? (additional.method || 'GET').toUpperCase() : operation.method;
            var payload;
            if (isGiven(body) && method !== 'GET' && method !== 'HEAD') {
              payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
              if (!headers['content-type']) headers['content-type'] = config.defaultContentType || 'application/json';
            }
            if (operation.authorizationType === 'AWS_IAM') {
              if (!config.accessKey || !config.secretKey) throw new Error(operation.name + ' uses AWS_IAM authorization: newClient needs accessKey and secretKey');
              await signRequest({ method: method, host: base.host, path: path, query: query, headers: headers, body: payload },
                { accessKey: config.accessKey, secretKey: config.secretKey, sessionToken: config.sessionToken, region: config.region || STAGE.region });
            }
            var queryString = query.map(function (pair) { return encode(pair[0]) + '=' + encode(pair[1]); }).join('&');
            var response = await fetch(base.origin + path + (queryString ? '?' + queryString : ''), { method: method, headers: headers, body: payload });
            var text = await response.text();
            var data = text;
            if ((response.headers.get('content-type') || '').indexOf('json') >= 0) {
              try { data = JSON.parse(text); } catch (notJson) { data = text; }
            }
            var responseHeaders = {};
            response.headers.forEach(function (value, name) { responseHeaders[name] = value; });
            return { status: response.status, headers: responseHeaders, data: data };
          }

          function newClient(config) {
            config = config || {};
            var client = {};
            STAGE.operations.forEach(function (operation) {
              client[operation.name] = function (params, body, additionalParams) {
                return invoke(operation, config, params, body, additionalParams);
              };
            });
            return client;
          }

          return { newClient: newClient, stage: STAGE };
        }));

        """;
}
