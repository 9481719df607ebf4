namespace Stratus.Services.ApiGateway.Vtl;

/// <summary>A template that cannot be parsed or evaluated; the message says where and why.</summary>
public sealed class VtlException(string message) : Exception(message);

public abstract record VtlNode;
public sealed record TextNode(string Text) : VtlNode;
public sealed record ReferenceNode(ReferenceExpr Reference, bool Silent, string Source) : VtlNode;
public sealed record SetNode(ReferenceExpr Target, VtlExpr Value) : VtlNode;
public sealed record IfNode(IReadOnlyList<(VtlExpr Condition, IReadOnlyList<VtlNode> Body)> Branches, IReadOnlyList<VtlNode>? Else) : VtlNode;
public sealed record ForeachNode(string Variable, VtlExpr Items, IReadOnlyList<VtlNode> Body) : VtlNode;
public sealed record BreakNode : VtlNode;
public sealed record StopNode : VtlNode;

public abstract record VtlExpr;
public sealed record LiteralExpr(object? Value) : VtlExpr;
public sealed record InterpolatedExpr(IReadOnlyList<VtlNode> Parts) : VtlExpr;
public sealed record ListExpr(IReadOnlyList<VtlExpr> Items) : VtlExpr;
public sealed record RangeExpr(VtlExpr From, VtlExpr To) : VtlExpr;
public sealed record MapExpr(IReadOnlyList<(VtlExpr Key, VtlExpr Value)> Entries) : VtlExpr;
public sealed record UnaryExpr(string Operator, VtlExpr Operand) : VtlExpr;
public sealed record BinaryExpr(string Operator, VtlExpr Left, VtlExpr Right) : VtlExpr;

/// <summary><c>$name</c> followed by property, method and index accesses.</summary>
public sealed record ReferenceExpr(string Name, IReadOnlyList<Accessor> Accessors) : VtlExpr;

public abstract record Accessor;
public sealed record PropertyAccessor(string Name) : Accessor;
public sealed record MethodAccessor(string Name, IReadOnlyList<VtlExpr> Arguments) : Accessor;
public sealed record IndexAccessor(VtlExpr Index) : Accessor;
