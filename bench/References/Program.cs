using System.Net;
using System.Text;
using Stratus.Bench.References;

// References bare        --port P     GET / answers 200 with a small body: Kestrel alone, the floor of any endpoint
// References inprocess   --port P     POST /invoke calls an echo delegate in this process
// References discard|files|journal --port P
//     any PUT or POST reads its body and stores it as StoringEndpoints says: nothing, a file per body, or a journal
//     synced before the answer (group commit)
// References runtime-api --port P [--env NAME=VALUE]... -- COMMAND [ARG]...
//     a minimal Lambda Runtime API serving ONE function process started with COMMAND; POST /invoke hands it the
//     body, POST /restart replaces it with a fresh process and answers how long the cold start took.
if (args.Length < 3 || args[1] != "--port" || !int.TryParse(args[2], out var port))
    return Usage();

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
var app = builder.Build();

switch (args[0])
{
    case "bare":
        app.MapGet("/", () => "ok");
        break;
    case "inprocess":
        app.MapPost("/invoke", async http => await Echo.ServeAsync(http, Echo.UpperCase));
        break;
    case "discard" or "files" or "journal":
        var store = new StoringEndpoints();
        app.Lifetime.ApplicationStopped.Register(store.Dispose);
        RequestDelegate storing = args[0] switch
        {
            "discard" => store.DiscardAsync,
            "files" => store.StoreFileAsync,
            _ => store.AppendDurablyAsync,
        };
        app.MapMethods("/{**path}", ["PUT", "POST"], storing);
        break;
    case "runtime-api":
        var separator = Array.IndexOf(args, "--");
        if (separator < 0 || separator == args.Length - 1) return Usage();
        var variables = new Dictionary<string, string>();
        for (var i = 3; i < separator; i += 2)
        {
            if (args[i] != "--env" || i + 1 >= separator || args[i + 1].Split('=', 2) is not [var name, var value]) return Usage();
            variables[name] = value;
        }
        var runtime = new MinimalRuntimeApi(args[(separator + 1)..], variables, $"127.0.0.1:{port}");
        runtime.Map(app);
        app.Lifetime.ApplicationStarted.Register(runtime.Launch);
        app.Lifetime.ApplicationStopping.Register(runtime.Stop);
        break;
    default:
        return Usage();
}

await app.RunAsync();
return 0;

static int Usage()
{
    Console.Error.WriteLine("usage: References bare|inprocess|discard|files|journal --port PORT\n       References runtime-api --port PORT [--env NAME=VALUE]... -- COMMAND [ARG]...");
    return 2;
}

namespace Stratus.Bench.References
{
    /// <summary>The work of the echo function (tests/Functions/DotnetFunctions), done without leaving the request.</summary>
    public static class Echo
    {
        public static byte[] UpperCase(byte[] payload) => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(payload).ToUpperInvariant());

        public static async Task ServeAsync(HttpContext http, Func<byte[], byte[]> function)
        {
            var body = function(await ReadBodyAsync(http));
            http.Response.ContentType = "application/json";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }

        public static async Task<byte[]> ReadBodyAsync(HttpContext http)
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            return buffer.ToArray();
        }
    }
}
