using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Stratus.Services.Logs.Engine.Transformers;

/// <summary>A transformer configuration outside AWS's rules; the message says which rule (Stratus's wording: AWS publishes none).</summary>
public sealed class TransformerConfigException(string message) : Exception(message);

/// <summary>Where an event comes from, for the metadata keys a copyValue may read (@logGroupName, @logGroupStream, @accountId, @regionName).</summary>
public sealed record TransformContext(string AccountId, string Region, string GroupName, string StreamName);

/// <summary>
/// A log transformer as AWS's "CloudWatch Logs transformation" guide states it: a pipeline of at most 20 processors, the
/// first of them a parser, at most five parsers. An event starts as its raw message (read as @message); a parser turns it
/// (or a field of it) into fields, and the other processors change those fields; the transformed event is the resulting
/// JSON object. Keys are paths with dots (store.book). An event a processor cannot transform (a parseJSON of text that is
/// not a JSON object, a key it needs that is missing) is kept as it came: <see cref="Apply"/> answers null for it.
/// </summary>
public sealed class LogTransformer
{
    public const int MaxProcessors = 20;
    public const int MaxParsers = 5;

    /// <summary>The processors Stratus runs, by their member name in a Processor structure.</summary>
    private static readonly IReadOnlyDictionary<string, Func<JsonObject, Processor>> Readers = new Dictionary<string, Func<JsonObject, Processor>>(StringComparer.Ordinal)
    {
        ["parseJSON"] = c => new ParseJson(OptionalSource(c), Optional(c, "destination")),
        ["parseKeyValue"] = c => new ParseKeyValue(OptionalSource(c), Optional(c, "destination"), Optional(c, "fieldDelimiter") ?? "&",
            Optional(c, "keyValueDelimiter") ?? "=", Optional(c, "keyPrefix") ?? "", Optional(c, "nonMatchValue"), Flag(c, "overwriteIfExists")),
        ["csv"] = c => new ParseCsv(OptionalSource(c), Optional(c, "destination"), (Optional(c, "quoteCharacter") ?? "\"")[0],
            Optional(c, "delimiter") ?? ",", Strings(c, "columns")),
        ["addKeys"] = c => new AddKeys(Entries(c, "entries", e => (Required(e, "key"), Required(e, "value"), Flag(e, "overwriteIfExists")))),
        ["deleteKeys"] = c => new DeleteKeys(Strings(c, "withKeys")),
        ["copyValue"] = c => new CopyValue(Entries(c, "entries", e => (Required(e, "source"), Required(e, "target"), Flag(e, "overwriteIfExists")))),
        ["moveKeys"] = c => new MoveKeys(Entries(c, "entries", e => (Required(e, "source"), Required(e, "target"), Flag(e, "overwriteIfExists")))),
        ["renameKeys"] = c => new MoveKeys(Entries(c, "entries", e => (Required(e, "key"), Required(e, "renameTo"), Flag(e, "overwriteIfExists")))),
        ["lowerCaseString"] = c => new MapStrings(Strings(c, "withKeys"), s => s.ToLowerInvariant()),
        ["upperCaseString"] = c => new MapStrings(Strings(c, "withKeys"), s => s.ToUpperInvariant()),
        ["trimString"] = c => new MapStrings(Strings(c, "withKeys"), s => s.Trim()),
        ["substituteString"] = c => new SubstituteString(Entries(c, "entries", e => (Required(e, "source"), Pattern(Required(e, "from")), Required(e, "to")))),
        ["splitString"] = c => new SplitString(Entries(c, "entries", e => (Required(e, "source"), Required(e, "delimiter")))),
        ["typeConverter"] = c => new TypeConverter(Entries(c, "entries", e => (Required(e, "key"), ConversionType(Required(e, "type"))))),
    };

    /// <summary>Processors of AWS's list that Stratus does not run, refused by name rather than run wrongly.</summary>
    private static readonly IReadOnlySet<string> NotBuilt = new HashSet<string>(StringComparer.Ordinal)
    {
        "grok", "dateTimeConverter", "listToMap", "parseCloudfront", "parsePostgres", "parseRoute53", "parseToOCSF", "parseVPC", "parseWAF",
    };

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The event as its text: characters as they came, escaped only where JSON requires it.</summary>
    private static readonly JsonSerializerOptions Written = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IReadOnlyList<Processor> _processors;

    private LogTransformer(IReadOnlyList<Processor> processors) => _processors = processors;

    /// <summary>Reads and checks a transformerConfig (the wire's list of Processor structures).</summary>
    public static LogTransformer Parse(JsonArray config)
    {
        if (config.Count is 0 or > MaxProcessors)
            throw new TransformerConfigException($"A transformer must have between 1 and {MaxProcessors} processors.");
        var processors = new List<Processor>();
        foreach (var (item, index) in config.Select((item, index) => (item, index)))
        {
            if (item is not JsonObject processor || processor.Count != 1)
                throw new TransformerConfigException($"Processor {index + 1} must set exactly one processor type.");
            var (name, settings) = processor.First();
            if (NotBuilt.Contains(name))
                throw new TransformerConfigException($"Stratus does not run the {name} processor (see README's CloudWatch Logs section).");
            if (!Readers.TryGetValue(name, out var read))
                throw new TransformerConfigException($"Processor {index + 1} has an unknown processor type: {name}.");
            processors.Add(read(settings as JsonObject ?? throw new TransformerConfigException($"Processor {name} must be a structure.")));
        }
        if (processors[0] is not Parser)
            throw new TransformerConfigException("The first processor in a transformer must be a parser.");
        if (processors.Count(p => p is Parser) > MaxParsers)
            throw new TransformerConfigException($"A transformer can include at most {MaxParsers} parsers.");
        return new LogTransformer(processors);
    }

    /// <summary>The event transformed (a JSON object's text), or null when a processor could not transform it.</summary>
    public string? Apply(string message, TransformContext context)
    {
        var state = new EventState(message, context);
        try
        {
            foreach (var processor in _processors)
                if (!processor.Apply(state)) return null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
        return state.Fields.ToJsonString(Written);
    }

    // ---- reading the configuration ----

    private static string? Optional(JsonObject c, string name) => c[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => s,
        _ => throw new TransformerConfigException($"{name} must be a non-empty string."),
    };

    private static string Required(JsonObject c, string name) => Optional(c, name) ?? throw new TransformerConfigException($"{name} is required.");

    private static string OptionalSource(JsonObject c) => Optional(c, "source") ?? EventState.Message;

    private static bool Flag(JsonObject c, string name) => c[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static IReadOnlyList<string> Strings(JsonObject c, string name) => c[name] switch
    {
        null => [],
        JsonArray list => list.Select(item => item is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw new TransformerConfigException($"{name} must be a list of non-empty strings.")).ToList(),
        _ => throw new TransformerConfigException($"{name} must be a list of strings."),
    };

    private static IReadOnlyList<T> Entries<T>(JsonObject c, string name, Func<JsonObject, T> read) => c[name] is JsonArray { Count: > 0 } list
        ? list.Select(item => read(item as JsonObject ?? throw new TransformerConfigException($"{name} must be a list of structures."))).ToList()
        : throw new TransformerConfigException($"{name} must list at least one entry.");

    private static string ConversionType(string type) => type is "integer" or "double" or "boolean" or "string"
        ? type
        : throw new TransformerConfigException($"typeConverter type must be one of boolean, integer, double, string: {type}.");

    /// <summary>
    /// A substituteString pattern, matched in time linear in the event (no backtracking): it runs on every ingested event, so one
    /// pattern must not be able to make a PutLogEvents call cost seconds per event. Constructs that need backtracking
    /// (backreferences, lookarounds, atomic groups) are refused with the pattern.
    /// </summary>
    private static Regex Pattern(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new TransformerConfigException($"The regular expression {pattern} is not valid.");
        }
    }

    // ---- the event being transformed ----

    /// <summary>An event's fields while the pipeline runs; @message (the raw message) and the metadata keys read as fields.</summary>
    private sealed class EventState(string message, TransformContext context)
    {
        public const string Message = "@message";
        private const int MaxPathParts = 64;

        public JsonObject Fields { get; } = new();

        public JsonNode? Get(string path)
        {
            switch (path)
            {
                case Message: return Fields[Message] ?? JsonValue.Create(message);
                case "@logGroupName": return JsonValue.Create(context.GroupName);
                case "@logGroupStream": return JsonValue.Create(context.StreamName);
                case "@accountId": return JsonValue.Create(context.AccountId);
                case "@regionName": return JsonValue.Create(context.Region);
            }
            JsonNode? node = Fields;
            foreach (var part in Parts(path))
                node = node is JsonObject o ? o[part] : null;
            return node;
        }

        public string? GetString(string path) => Get(path) is JsonValue v ? Text(v) : null;

        /// <summary>Sets a field (making the objects on its path); false when it exists and may not be overwritten.</summary>
        public bool Set(string path, JsonNode? value, bool overwrite)
        {
            var parts = Parts(path);
            var parent = Fields;
            foreach (var part in parts[..^1])
            {
                if (parent[part] is not JsonObject child)
                {
                    if (parent.ContainsKey(part) && !overwrite) return false;
                    parent[part] = child = new JsonObject();
                }
                parent = child;
            }
            if (parent.ContainsKey(parts[^1]) && !overwrite) return false;
            parent[parts[^1]] = value;
            return true;
        }

        public JsonNode? Remove(string path)
        {
            var parts = Parts(path);
            JsonNode? node = Fields;
            foreach (var part in parts[..^1]) node = node is JsonObject o ? o[part] : null;
            if (node is not JsonObject parent || !parent.ContainsKey(parts[^1])) return null;
            var value = parent[parts[^1]];
            parent.Remove(parts[^1]);
            return value;
        }

        private static string[] Parts(string path)
        {
            var parts = path.Split('.');
            return parts.Length <= MaxPathParts ? parts : throw new TransformerConfigException($"A key has at most {MaxPathParts} parts.");
        }
    }

    /// <summary>A value as text: strings as themselves, numbers and booleans as written.</summary>
    private static string Text(JsonValue value) => value.TryGetValue<string>(out var s) ? s : value.ToJsonString();

    // ---- processors ----

    private abstract record Processor
    {
        /// <summary>Applies the processor; false when the event cannot be transformed.</summary>
        public abstract bool Apply(EventState state);
    }

    /// <summary>A parser: turns its source into fields under its destination (the root when none).</summary>
    private abstract record Parser(string Source, string? Destination) : Processor
    {
        public override bool Apply(EventState state)
        {
            if (state.GetString(Source) is not { } text || Parse(text) is not { } parsed) return false;
            if (Source == EventState.Message) state.Remove(EventState.Message);
            if (Destination is not null) return state.Set(Destination, parsed, overwrite: true);
            foreach (var (key, value) in parsed.ToList())
            {
                parsed.Remove(key);
                state.Fields[key] = value;
            }
            return true;
        }

        protected abstract JsonObject? Parse(string text);
    }

    private sealed record ParseJson(string Source, string? Destination) : Parser(Source, Destination)
    {
        protected override JsonObject? Parse(string text)
        {
            try
            {
                // JsonNode.Parse refuses nesting beyond 64 levels (its default), which bounds what an event can build.
                return JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    private sealed record ParseKeyValue(string Source, string? Destination, string FieldDelimiter, string KeyValueDelimiter, string KeyPrefix,
        string? NonMatchValue, bool Overwrite) : Parser(Source, Destination)
    {
        protected override JsonObject? Parse(string text)
        {
            var fields = new JsonObject();
            foreach (var pair in text.Split(FieldDelimiter, StringSplitOptions.RemoveEmptyEntries))
            {
                var at = pair.IndexOf(KeyValueDelimiter, StringComparison.Ordinal);
                var (key, value) = at < 0 ? (pair, NonMatchValue) : (pair[..at], pair[(at + KeyValueDelimiter.Length)..]);
                if (value is null || key.Length == 0) continue;
                if (fields.ContainsKey(KeyPrefix + key) && !Overwrite) continue;
                fields[KeyPrefix + key] = value;
            }
            return fields;
        }
    }

    private sealed record ParseCsv(string Source, string? Destination, char Quote, string Delimiter, IReadOnlyList<string> Columns) : Parser(Source, Destination)
    {
        protected override JsonObject? Parse(string text)
        {
            var values = new List<string>();
            var current = new StringBuilder();
            var quoted = false;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == Quote)
                {
                    if (quoted && i + 1 < text.Length && text[i + 1] == Quote) current.Append(text[++i]);
                    else quoted = !quoted;
                }
                else if (!quoted && string.CompareOrdinal(text, i, Delimiter, 0, Delimiter.Length) == 0)
                {
                    values.Add(current.ToString());
                    current.Clear();
                    i += Delimiter.Length - 1;
                }
                else current.Append(text[i]);
            }
            values.Add(current.ToString());
            var fields = new JsonObject();
            for (var i = 0; i < values.Count; i++)
                fields[i < Columns.Count ? Columns[i] : "column_" + (i + 1).ToString(CultureInfo.InvariantCulture)] = values[i];
            return fields;
        }
    }

    private sealed record AddKeys(IReadOnlyList<(string Key, string Value, bool Overwrite)> Entries) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var (key, value, overwrite) in Entries) state.Set(key, value, overwrite);
            return true;
        }
    }

    private sealed record DeleteKeys(IReadOnlyList<string> Keys) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var key in Keys) state.Remove(key);
            return true;
        }
    }

    private sealed record CopyValue(IReadOnlyList<(string Source, string Target, bool Overwrite)> Entries) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var (source, target, overwrite) in Entries)
                if (state.Get(source) is { } value) state.Set(target, value.DeepClone(), overwrite);
            return true;
        }
    }

    /// <summary>moveKeys and renameKeys: the value leaves its key for the new one, unless the new one exists and may not be overwritten.</summary>
    private sealed record MoveKeys(IReadOnlyList<(string Source, string Target, bool Overwrite)> Entries) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var (source, target, overwrite) in Entries)
            {
                if (state.Get(source) is null || (state.Get(target) is not null && !overwrite)) continue;
                state.Set(target, state.Remove(source), overwrite: true);
            }
            return true;
        }
    }

    private sealed record MapStrings(IReadOnlyList<string> Keys, Func<string, string> Map) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var key in Keys)
                if (state.Get(key) is JsonValue v && v.TryGetValue<string>(out var s)) state.Set(key, Map(s), overwrite: true);
            return true;
        }
    }

    private sealed record SubstituteString(IReadOnlyList<(string Source, Regex From, string To)> Entries) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var (source, from, to) in Entries)
                if (state.Get(source) is JsonValue v && v.TryGetValue<string>(out var s)) state.Set(source, from.Replace(s, to), overwrite: true);
            return true;
        }
    }

    private sealed record SplitString(IReadOnlyList<(string Source, string Delimiter)> Entries) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var (source, delimiter) in Entries)
                if (state.Get(source) is JsonValue v && v.TryGetValue<string>(out var s))
                    state.Set(source, new JsonArray(s.Split(delimiter).Select(part => (JsonNode?)part).ToArray()), overwrite: true);
            return true;
        }
    }

    private sealed record TypeConverter(IReadOnlyList<(string Key, string Type)> Entries) : Processor
    {
        public override bool Apply(EventState state)
        {
            foreach (var (key, type) in Entries)
            {
                if (state.Get(key) is not JsonValue v) continue;
                var text = Text(v);
                JsonNode? converted = type switch
                {
                    "integer" when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                    "double" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
                    "boolean" when bool.TryParse(text, out var b) => b,
                    "string" => text,
                    _ => null,
                };
                if (converted is null) return false;
                state.Set(key, converted, overwrite: true);
            }
            return true;
        }
    }
}
