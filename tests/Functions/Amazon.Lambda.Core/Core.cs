namespace Amazon.Lambda.Core;

public interface ILambdaLogger
{
    void Log(string message);
    void LogLine(string message);
}

public interface ILambdaContext
{
    string AwsRequestId { get; }
    string FunctionName { get; }
    string FunctionVersion { get; }
    string InvokedFunctionArn { get; }
    string LogGroupName { get; }
    string LogStreamName { get; }
    int MemoryLimitInMB { get; }
    TimeSpan RemainingTime { get; }
    ILambdaLogger Logger { get; }
}

public interface ILambdaSerializer
{
    T Deserialize<T>(Stream requestStream);
    void Serialize<T>(T response, Stream responseStream);
}

[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Method)]
public sealed class LambdaSerializerAttribute(Type serializerType) : Attribute
{
    public Type SerializerType { get; } = serializerType;
}
