using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;

namespace Stratus.Lambda.RuntimeHost;

/// <summary>A handler that cannot be bound, reported to the Runtime API as an init error of this type.</summary>
public sealed class HandlerBindingException(string errorType, string message) : Exception(message)
{
    public string ErrorType { get; } = errorType;
}

/// <summary>
/// A class-library handler "Assembly::Namespace.Type::Method": the function's assembly loaded in a load
/// context of its own that resolves dependencies from its .deps.json, so Amazon.Lambda.Core and the
/// serializer come from the function's package and are bound by name, never compiled into this host.
/// Parameters: none, the input (Stream, or deserialized), and/or an ILambdaContext; returns void, a
/// value, a Stream, Task or Task&lt;T&gt;.
/// </summary>
public sealed class FunctionHandler
{
    private readonly MethodInfo _method;
    private readonly object? _target;
    private readonly ParameterKind[] _parameters;
    private readonly Type? _inputType;
    private readonly Type _resultType;
    private readonly bool _returnsTask;
    private readonly object? _serializer;
    private readonly Type? _contextInterface;

    private enum ParameterKind { Input, Context }

    private FunctionHandler(MethodInfo method, object? target, ParameterKind[] parameters, Type? inputType, Type resultType, bool returnsTask,
        object? serializer, Type? contextInterface)
    {
        _method = method;
        _target = target;
        _parameters = parameters;
        _inputType = inputType;
        _resultType = resultType;
        _returnsTask = returnsTask;
        _serializer = serializer;
        _contextInterface = contextInterface;
    }

    public static FunctionHandler Bind(string handler, string taskRoot)
    {
        var parts = handler.Split("::");
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
            throw new HandlerBindingException("Runtime.MalformedHandlerName",
                $"Unable to parse handler string '{handler}': it must be ASSEMBLY::TYPE::METHOD.");
        var (assemblyName, typeName, methodName) = (parts[0], parts[1], parts[2]);
        var assemblyPath = Path.Combine(taskRoot, assemblyName + ".dll");
        if (!File.Exists(assemblyPath))
            throw new HandlerBindingException("Runtime.AssemblyNotFound", $"Could not find the specified handler assembly with the file name '{assemblyName}'.");

        var context = new FunctionLoadContext(assemblyPath);
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        var type = assembly.GetType(typeName)
            ?? throw new HandlerBindingException("Runtime.TypeNotFound", $"Unable to find type '{typeName}' in assembly '{assemblyName}'.");
        var candidates = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)
            .Where(m => m.Name == methodName).ToList();
        if (candidates.Count == 0)
            throw new HandlerBindingException("Runtime.MethodNotFound", $"Unable to find method '{methodName}' in type '{typeName}' from assembly '{assemblyName}'.");
        if (candidates.Count > 1)
            throw new HandlerBindingException("Runtime.MethodNotFound", $"The method '{methodName}' in type '{typeName}' is overloaded: Lambda handlers must not be.");
        var method = candidates[0];

        var parameters = new List<ParameterKind>();
        Type? inputType = null;
        Type? contextInterface = null;
        foreach (var parameter in method.GetParameters())
        {
            if (parameter.ParameterType.IsInterface && parameter.ParameterType.Name == "ILambdaContext")
            {
                parameters.Add(ParameterKind.Context);
                contextInterface = parameter.ParameterType;
            }
            else if (inputType is null)
            {
                parameters.Add(ParameterKind.Input);
                inputType = parameter.ParameterType;
            }
            else
            {
                throw new HandlerBindingException("Runtime.MethodNotFound",
                    $"Handler '{handler}' has too many parameters: at most the input and an ILambdaContext.");
            }
        }

        var returnType = method.ReturnType;
        var returnsTask = typeof(Task).IsAssignableFrom(returnType);
        var resultType = returnsTask
            ? returnType.IsGenericType ? returnType.GetGenericArguments()[0] : typeof(void)
            : returnType;

        try
        {
            var target = method.IsStatic ? null : Activator.CreateInstance(type, nonPublic: true);
            return new FunctionHandler(method, target, [.. parameters], inputType, resultType, returnsTask, Serializer(method, assembly), contextInterface);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new HandlerBindingException(e.InnerException.GetType().Name, e.InnerException.Message);
        }
    }

    /// <summary>The serializer named by [LambdaSerializer(typeof(...))] on the method or the assembly, if any.</summary>
    private static object? Serializer(MethodInfo method, Assembly assembly)
    {
        var attribute = method.GetCustomAttributesData().Concat(assembly.GetCustomAttributesData())
            .FirstOrDefault(a => a.AttributeType.Name == "LambdaSerializerAttribute");
        if (attribute?.ConstructorArguments.FirstOrDefault().Value is not Type serializerType) return null;
        return Activator.CreateInstance(serializerType);
    }

    public async Task<Stream> InvokeAsync(NextInvocation next)
    {
        var arguments = new object?[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
            arguments[i] = _parameters[i] == ParameterKind.Context ? LambdaContext.Create(_contextInterface!, next) : Deserialize(next.Payload);

        var returned = _method.Invoke(_target, arguments);
        object? result = returned;
        if (_returnsTask)
        {
            var task = (Task)returned!;
            await task;
            result = _resultType == typeof(void) ? null : task.GetType().GetProperty("Result")!.GetValue(task);
        }
        return Serialize(result);
    }

    private object? Deserialize(byte[] payload)
    {
        if (_inputType == typeof(Stream) || _inputType == typeof(MemoryStream)) return new MemoryStream(payload, writable: false);
        if (_serializer is not null)
            return _serializer.GetType().GetMethod("Deserialize")!.MakeGenericMethod(_inputType!).Invoke(_serializer, [new MemoryStream(payload, writable: false)]);
        return payload.Length == 0 ? null : JsonSerializer.Deserialize(payload, _inputType!, Json);
    }

    private Stream Serialize(object? result)
    {
        if (_resultType == typeof(void)) return new MemoryStream([]);
        if (result is Stream stream) return stream;
        var output = new MemoryStream();
        if (_serializer is not null)
            _serializer.GetType().GetMethod("Serialize")!.MakeGenericMethod(_resultType).Invoke(_serializer, [result, output]);
        else
            JsonSerializer.Serialize(output, result, _resultType, Json);
        output.Position = 0;
        return output;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Exception Unwrap(Exception error) => error switch
    {
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        AggregateException { InnerExceptions.Count: 1 } aggregate => Unwrap(aggregate.InnerExceptions[0]),
        _ => error,
    };

    /// <summary>Resolves the function's own dependencies from its .deps.json, falling back to the shared framework.</summary>
    private sealed class FunctionLoadContext(string mainAssembly) : AssemblyLoadContext("function", isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);
        private readonly string _directory = Path.GetDirectoryName(mainAssembly)!;

        protected override Assembly? Load(AssemblyName name)
        {
            if (_resolver.ResolveAssemblyToPath(name) is { } path) return LoadFromAssemblyPath(path);
            var local = Path.Combine(_directory, name.Name + ".dll");
            return File.Exists(local) && Default.Assemblies.All(a => a.GetName().Name != name.Name) ? LoadFromAssemblyPath(local) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
