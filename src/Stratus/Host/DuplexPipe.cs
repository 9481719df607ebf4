using System.IO.Pipelines;

namespace Stratus.Host;

/// <summary>A connection's transport put together from a reader and a writer, for middleware that replaces one side or both.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;
    public PipeWriter Output { get; } = output;
}
