// The namespaces nearly every file of Stratus uses (the wire's OperationInput, Scope and AwsException; JSON nodes): stated
// once here, so each file's usings name only what is its own. The SDK's implicit usings add System.*, ASP.NET Core's
// and Microsoft.Extensions.Logging.
global using System.Text.Json.Nodes;
global using Stratus.Protocols;
