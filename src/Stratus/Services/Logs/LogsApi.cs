using System.Globalization;
using System.Text;
using Stratus.Host;
using Stratus.Protocols.Json;
using Stratus.Services.Logs.Engine;

namespace Stratus.Services.Logs;

/// <summary>
/// CloudWatch Logs' wire operations (AWS JSON 1.1, Logs_20140328; signing name logs): request members in, domain call,
/// response shape out.
/// </summary>
public sealed class LogsApi : IStratusService, IDisposable
{
    private const int MaxDescribeLimit = 50;
    /// <summary>DescribeFieldIndexes takes no limit; Stratus pages its answer by this many (AWS does not say how many it pages by).</summary>
    private const int MaxFieldIndexPage = 100;
    /// <summary>ListScheduledQueries' and GetScheduledQueryHistory's page when maxResults is left out (AWS does not say; this is Stratus's).</summary>
    private const int MaxScheduledQueryPage = 100;
    private readonly LogsService _logs;
    private readonly ILogger _logger;

    public LogsApi(LogsService logs, ILogger logger)
    {
        _logs = logs;
        _logger = logger;
        Endpoint = new ServiceEndpoint("logs", Operations(), new AwsJsonProtocol("Logs_20140328", "1.1"))
        {
            Logger = logger,
            Validation = LogsErrors.Validation,
            Rules = LogsRules.Members,
        };
    }

    public string Name => "logs";
    public ServiceEndpoint Endpoint { get; }

    public void Dispose() => _logs.Dispose();

    private OperationTable Operations()
    {
        var table = GroupStreamAndQueryOperations();
        table.Add("PutSubscriptionFilter", async i =>
        {
            await _logs.PutSubscriptionFilterAsync(i.Scope, SubscriptionFilter.Read(i, i.Scope, i.Required("filterName")), i.Aborted);
            return OperationResult.Empty();
        });
        table.Add("DescribeSubscriptionFilters", DescribeSubscriptionFilters);
        table.Add("StartLiveTail", StartLiveTail);
        table.Add("DeleteSubscriptionFilter", i =>
        {
            _logs.DeleteSubscriptionFilter(i.Scope, i.Required("logGroupName"), i.Required("filterName"));
            return (JsonObject?)null;
        });
        table.Add("CreateExportTask", async i => (OperationResult)new JsonObject
        {
            ["taskId"] = await _logs.CreateExportTaskAsync(i.Scope, i.String("taskName"), i.Required("logGroupName"), i.String("logStreamNamePrefix"),
                i.Long("from") ?? throw i.Style.Missing("from"), i.Long("to") ?? throw i.Style.Missing("to"), i.Required("destination"),
                i.String("destinationPrefix"), i.Aborted),
        });
        table.Add("DescribeExportTasks", DescribeExportTasks);
        AddScheduledQueryOperations(table);
        table.Add("CancelExportTask", i =>
        {
            _logs.CancelExportTask(i.Scope, i.Required("taskId"));
            return (JsonObject?)null;
        });
        table.Add("PutResourcePolicy", i =>
        {
            var policy = _logs.PutResourcePolicy(i.Scope, i.String("policyName"), i.String("policyDocument"), i.String("resourceArn"), i.String("expectedRevisionId"));
            return new JsonObject { ["resourcePolicy"] = PolicyView(policy), ["revisionId"] = policy.RevisionId };
        });
        table.Add("DescribeResourcePolicies", DescribeResourcePolicies);
        table.Add("DeleteResourcePolicy", i =>
        {
            _logs.DeleteResourcePolicy(i.Scope, i.String("policyName"), i.String("resourceArn"), i.String("expectedRevisionId"));
            return (JsonObject?)null;
        });
        table.Add("PutDataProtectionPolicy", i =>
        {
            var identifier = i.Required("logGroupIdentifier");
            var policy = _logs.PutDataProtectionPolicy(i.Scope, identifier, i.Required("policyDocument"));
            return new JsonObject { ["logGroupIdentifier"] = identifier, ["policyDocument"] = policy.Document, ["lastUpdatedTime"] = policy.LastUpdatedTime };
        });
        table.Add("GetDataProtectionPolicy", i =>
        {
            var identifier = i.Required("logGroupIdentifier");
            var policy = _logs.GetDataProtectionPolicy(i.Scope, identifier);
            return new JsonObject { ["logGroupIdentifier"] = identifier, ["policyDocument"] = policy?.Document, ["lastUpdatedTime"] = policy?.LastUpdatedTime };
        });
        table.Add("DeleteDataProtectionPolicy", i =>
        {
            _logs.DeleteDataProtectionPolicy(i.Scope, i.Required("logGroupIdentifier"));
            return (JsonObject?)null;
        });
        table.Add("PutTransformer", i =>
        {
            _logs.PutTransformer(i.Scope, i.Required("logGroupIdentifier"), TransformerConfig(i));
            return (JsonObject?)null;
        });
        table.Add("GetTransformer", i =>
        {
            var transformer = _logs.GetTransformer(i.Scope, i.Required("logGroupIdentifier"));
            return new JsonObject
            {
                ["logGroupIdentifier"] = transformer.GroupArn,
                ["creationTime"] = transformer.CreationTime,
                ["lastModifiedTime"] = transformer.LastModifiedTime,
                ["transformerConfig"] = JsonNode.Parse(transformer.Config),
            };
        });
        table.Add("DeleteTransformer", i =>
        {
            _logs.DeleteTransformer(i.Scope, i.Required("logGroupIdentifier"));
            return (JsonObject?)null;
        });
        table.Add("TestTransformer", i => new JsonObject
        {
            ["transformedLogs"] = new JsonArray(_logs.TestTransformer(i.Scope, TransformerConfig(i), i.Strings("logEventMessages"))
                .Select(t => (JsonNode)new JsonObject
                {
                    ["eventNumber"] = t.Number,
                    ["eventMessage"] = t.Message,
                    ["transformedEventMessage"] = t.Transformed,
                }).ToArray()),
        });
        table.Add("PutAccountPolicy", async i => (OperationResult)new JsonObject
        {
            ["accountPolicy"] = AccountPolicyView(await _logs.PutAccountPolicyAsync(i.Scope, i.Required("policyName"), i.Required("policyType"),
                i.Required("policyDocument"), i.String("selectionCriteria"), i.Aborted)),
        });
        table.Add("DescribeAccountPolicies", i => new JsonObject
        {
            ["accountPolicies"] = new JsonArray(_logs.DescribeAccountPolicies(i.Scope, i.Required("policyType"), i.String("policyName"),
                i.Has("accountIdentifiers") ? i.Strings("accountIdentifiers") : []).Select(p => (JsonNode)AccountPolicyView(p)).ToArray()),
        });
        table.Add("DeleteAccountPolicy", i =>
        {
            _logs.DeleteAccountPolicy(i.Scope, i.Required("policyName"), i.Required("policyType"));
            return (JsonObject?)null;
        });
        table.Add("PutIndexPolicy", i =>
        {
            var policy = _logs.PutIndexPolicy(i.Scope, i.Required("logGroupIdentifier"), i.Required("policyDocument"));
            return new JsonObject
            {
                ["indexPolicy"] = new JsonObject
                {
                    ["logGroupIdentifier"] = policy.GroupArn, ["lastUpdateTime"] = policy.LastUpdateTime, ["policyDocument"] = policy.Document, ["source"] = "LOG_GROUP",
                },
            };
        });
        table.Add("DescribeIndexPolicies", i => new JsonObject
        {
            ["indexPolicies"] = new JsonArray(_logs.DescribeIndexPolicies(i.Scope, i.Strings("logGroupIdentifiers")).Select(p => (JsonNode)new JsonObject
            {
                ["logGroupIdentifier"] = p.GroupArn, ["lastUpdateTime"] = p.LastUpdateTime, ["policyDocument"] = p.Document, ["policyName"] = p.PolicyName, ["source"] = p.Source,
            }).ToArray()),
        });
        table.Add("DeleteIndexPolicy", i =>
        {
            _logs.DeleteIndexPolicy(i.Scope, i.Required("logGroupIdentifier"));
            return new JsonObject();
        });
        table.Add("DescribeFieldIndexes", i => Page("fieldIndexes", _logs.DescribeFieldIndexes(i.Scope, i.Strings("logGroupIdentifiers")), MaxFieldIndexPage,
            i.String("nextToken"), f => new JsonObject
            {
                ["logGroupIdentifier"] = f.GroupArn, ["fieldIndexName"] = f.Field, ["lastScanTime"] = f.LastScanTime,
                ["firstEventTime"] = f.FirstEventTime, ["lastEventTime"] = f.LastEventTime, ["type"] = "FIELD_INDEX",
            }));
        // The ARN-based tagging operations, for log groups (AWS's newer form of TagLogGroup and its siblings).
        table.Add("TagResource", i =>
        {
            _logs.TagLogGroup(i.Scope, i.Required("resourceArn"), i.StringMap("tags"));
            return (JsonObject?)null;
        });
        table.Add("UntagResource", i =>
        {
            _logs.UntagLogGroup(i.Scope, i.Required("resourceArn"), i.Strings("tagKeys"));
            return (JsonObject?)null;
        });
        table.Add("ListTagsForResource", i => new JsonObject { ["tags"] = Tags(_logs.ListTagsLogGroup(i.Scope, i.Required("resourceArn"))) });
        table.Add("CreateLookupTable", i =>
        {
            var created = _logs.CreateLookupTable(i.Scope, i.Required("lookupTableName"), i.String("description"), i.Required("tableBody"), i.String("kmsKeyId"), i.StringMap("tags"));
            return new JsonObject { ["lookupTableArn"] = created.Arn, ["createdAt"] = created.LastUpdatedTime };
        });
        table.Add("DescribeLookupTables", i =>
        {
            var limit = i.Int("maxResults") ?? 100;
            LogsErrors.Validation.CheckRange("maxResults", limit, 1, 100);
            return Page("lookupTables", _logs.DescribeLookupTables(i.Scope, i.String("lookupTableNamePrefix")), limit, i.String("nextToken"), t => new JsonObject
            {
                ["lookupTableArn"] = t.Arn, ["lookupTableName"] = t.Name, ["description"] = t.Description,
                ["tableFields"] = new JsonArray(t.Fields.Select(f => (JsonNode)f).ToArray()),
                ["recordsCount"] = t.RecordsCount, ["sizeBytes"] = t.SizeBytes, ["lastUpdatedTime"] = t.LastUpdatedTime,
            });
        });
        table.Add("GetLookupTable", i =>
        {
            var t = _logs.GetLookupTable(i.Scope, i.Required("lookupTableArn"));
            return new JsonObject
            {
                ["lookupTableArn"] = t.Arn, ["lookupTableName"] = t.Name, ["description"] = t.Description, ["tableBody"] = t.Body,
                ["sizeBytes"] = t.SizeBytes, ["lastUpdatedTime"] = t.LastUpdatedTime,
            };
        });
        table.Add("UpdateLookupTable", i =>
        {
            var t = _logs.UpdateLookupTable(i.Scope, i.Required("lookupTableArn"), i.String("description"), i.Required("tableBody"), i.String("kmsKeyId"));
            return new JsonObject { ["lookupTableArn"] = t.Arn, ["lastUpdatedTime"] = t.LastUpdatedTime };
        });
        table.Add("DeleteLookupTable", i =>
        {
            _logs.DeleteLookupTable(i.Scope, i.Required("lookupTableArn"));
            return new JsonObject();
        });
        // botocore's other operations answer a clear refusal naming the operation and why (README lists them).
        NotServedOperations.AddTo(table, LogsNotServed.Operations, LogsErrors.NotServed);
        return table;
    }

    private JsonObject DescribeSubscriptionFilters(OperationInput i)
    {
        var limit = Limit(i, MaxDescribeLimit);
        var filters = _logs.DescribeSubscriptionFilters(i.Scope, i.Required("logGroupName"), i.String("filterNamePrefix"));
        return Page("subscriptionFilters", filters, limit, i.String("nextToken"), f => new JsonObject
        {
            ["filterName"] = f.FilterName,
            ["logGroupName"] = f.GroupName,
            ["filterPattern"] = f.FilterPattern,
            ["destinationArn"] = f.DestinationArn,
            ["roleArn"] = f.RoleArn,
            ["distribution"] = f.Distribution,
            ["creationTime"] = f.CreationTime,
        });
    }

    private JsonObject DescribeExportTasks(OperationInput i)
    {
        var limit = Limit(i, MaxDescribeLimit);
        var tasks = _logs.DescribeExportTasks(i.Scope, i.String("taskId"), i.String("statusCode"));
        return Page("exportTasks", tasks, limit, i.String("nextToken"), t => new JsonObject
        {
            ["taskId"] = t.TaskId,
            ["taskName"] = t.TaskName,
            ["logGroupName"] = t.LogGroupName,
            ["from"] = t.From,
            ["to"] = t.To,
            ["destination"] = t.Destination,
            ["destinationPrefix"] = t.DestinationPrefix,
            ["status"] = new JsonObject { ["code"] = t.Status, ["message"] = t.StatusMessage },
            ["executionInfo"] = new JsonObject { ["creationTime"] = t.CreationTime, ["completionTime"] = t.CompletionTime },
        });
    }

    private JsonObject DescribeResourcePolicies(OperationInput i)
    {
        var limit = Limit(i, MaxDescribeLimit);
        var policies = _logs.DescribeResourcePolicies(i.Scope, i.String("resourceArn"), i.String("policyScope"));
        return Page("resourcePolicies", policies, limit, i.String("nextToken"), PolicyView);
    }

    private static JsonObject AccountPolicyView(AccountPolicy p) => new()
    {
        ["policyName"] = p.PolicyName,
        ["policyDocument"] = p.PolicyDocument,
        ["lastUpdatedTime"] = p.LastUpdatedTime,
        ["policyType"] = p.PolicyType,
        ["scope"] = "ALL",
        ["selectionCriteria"] = p.SelectionCriteria,
        ["accountId"] = p.AccountId,
    };

    private static JsonObject PolicyView(LogsResourcePolicy p) => new()
    {
        ["policyName"] = p.PolicyName,
        ["policyDocument"] = p.PolicyDocument,
        ["lastUpdatedTime"] = p.LastUpdatedTime,
        ["policyScope"] = p.PolicyScope,
        ["resourceArn"] = p.ResourceArn,
        ["revisionId"] = p.RevisionId,
    };

    private OperationTable GroupStreamAndQueryOperations() => new()
    {
        { "CreateLogGroup", i =>
            {
                _logs.CreateLogGroup(i.Scope, i.Required("logGroupName"), i.StringMap("tags"),
                    new LogGroupSettings(i.Bool("deletionProtectionEnabled") ?? false, i.String("logGroupClass"), i.String("kmsKeyId")));
                return (JsonObject?)null;
            } },
        { "PutLogGroupDeletionProtection", i =>
            {
                _logs.PutLogGroupDeletionProtection(i.Scope, i.Required("logGroupIdentifier"),
                    i.Bool("deletionProtectionEnabled") ?? throw i.Style.Missing("deletionProtectionEnabled"));
                return (JsonObject?)null;
            } },
        { "ListLogGroups", ListLogGroups },
        { "DeleteLogGroup", async i =>
            {
                await _logs.DeleteLogGroupAsync(i.Scope, i.Required("logGroupName"));
                return OperationResult.Empty();
            } },
        { "DescribeLogGroups", DescribeLogGroups },
        { "AssociateKmsKey", i =>
            {
                _logs.AssociateKmsKey(i.Scope, i.String("logGroupName"), i.String("resourceIdentifier"), i.Required("kmsKeyId"));
                return (JsonObject?)null;
            } },
        { "DisassociateKmsKey", i =>
            {
                _logs.DisassociateKmsKey(i.Scope, i.String("logGroupName"), i.String("resourceIdentifier"));
                return (JsonObject?)null;
            } },
        { "PutRetentionPolicy", i =>
            {
                _logs.PutRetentionPolicy(i.Scope, i.Required("logGroupName"), i.RequiredInt("retentionInDays"));
                return (JsonObject?)null;
            } },
        { "DeleteRetentionPolicy", i =>
            {
                _logs.DeleteRetentionPolicy(i.Scope, i.Required("logGroupName"));
                return (JsonObject?)null;
            } },
        { "TagLogGroup", i =>
            {
                _logs.TagLogGroup(i.Scope, i.Required("logGroupName"), i.StringMap("tags"));
                return (JsonObject?)null;
            } },
        { "UntagLogGroup", i =>
            {
                _logs.UntagLogGroup(i.Scope, i.Required("logGroupName"), i.Strings("tags"));
                return (JsonObject?)null;
            } },
        { "ListTagsLogGroup", i => new JsonObject { ["tags"] = Tags(_logs.ListTagsLogGroup(i.Scope, i.Required("logGroupName"))) } },
        { "CreateLogStream", i =>
            {
                _logs.CreateLogStream(i.Scope, GroupName(i), i.Required("logStreamName"));
                return (JsonObject?)null;
            } },
        { "DeleteLogStream", async i =>
            {
                await _logs.DeleteLogStreamAsync(i.Scope, GroupName(i), i.Required("logStreamName"));
                return OperationResult.Empty();
            } },
        { "DescribeLogStreams", DescribeLogStreams },
        { "PutLogEvents", PutLogEventsAsync },
        { "GetLogEvents", GetLogEvents },
        { "FilterLogEvents", FilterLogEvents },
        { "PutMetricFilter", i =>
            {
                _logs.PutMetricFilter(i.Scope, i.Required("logGroupName"), i.Required("filterName"), i.String("filterPattern") ?? "",
                    MetricTransformation.ReadSingle(i));
                return (JsonObject?)null;
            } },
        { "DeleteMetricFilter", i =>
            {
                _logs.DeleteMetricFilter(i.Scope, i.Required("logGroupName"), i.Required("filterName"));
                return (JsonObject?)null;
            } },
        { "DescribeMetricFilters", DescribeMetricFilters },
        { "TestMetricFilter", i =>
            {
                var messages = i.Strings("logEventMessages");
                return new JsonObject
                {
                    ["matches"] = new JsonArray(_logs.TestFilterPattern(i.Required("filterPattern"), messages).Select(n => (JsonNode)new JsonObject
                    {
                        ["eventNumber"] = n,
                        ["eventMessage"] = messages[n - 1],
                        ["extractedValues"] = new JsonObject(),
                    }).ToArray()),
                };
            } },
        { "StartQuery", i => new JsonObject
            {
                ["queryId"] = _logs.StartQuery(i.Scope, new StartQueryInput(QueryGroups(i), i.Long("startTime") ?? throw i.Style.Missing("startTime"),
                    i.Long("endTime") ?? throw i.Style.Missing("endTime"), i.String("queryString") ?? throw i.Style.Missing("queryString"), i.Int("limit"), i.String("queryLanguage"))),
            } },
        { "GetQueryResults", GetQueryResults },
        { "ListLogGroupsForQuery", i =>
            {
                var limit = i.Int("maxResults") ?? 50;
                LogsErrors.Validation.CheckRange("maxResults", limit, 50, 500);
                var query = _logs.GetQueryResults(i.Scope, i.Required("queryId"));
                return Page("logGroupIdentifiers", query.ScannedGroupArns ?? [], limit, i.String("nextToken"), arn => JsonValue.Create(arn));
            } },
        { "GetLogGroupFields", i =>
            {
                var named = new[] { i.String("logGroupName"), i.String("logGroupIdentifier") }.OfType<string>().ToList();
                if (named.Count != 1) throw LogsErrors.InvalidParameter("Exactly one of logGroupName or logGroupIdentifier must be specified.");
                return new JsonObject
                {
                    ["logGroupFields"] = new JsonArray(_logs.GetLogGroupFields(i.Scope, named[0], i.Long("time"))
                        .Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["percent"] = f.Percent }).ToArray()),
                };
            } },
        { "GetLogRecord", i => new JsonObject
            {
                ["logRecord"] = new JsonObject(_logs.GetLogRecord(i.Scope, i.Required("logRecordPointer"), i.Bool("unmask") ?? false)
                    .Select(f => KeyValuePair.Create(f.Name, (JsonNode?)f.Value))),
            } },
        { "StopQuery", i => new JsonObject { ["success"] = _logs.StopQuery(i.Scope, i.Required("queryId")) } },
        { "DescribeQueries", DescribeQueries },
        { "PutQueryDefinition", i => new JsonObject
            {
                ["queryDefinitionId"] = _logs.PutQueryDefinition(i.Scope, i.String("queryDefinitionId"), i.Required("name"), i.Required("queryString"), i.Strings("logGroupNames")),
            } },
        { "DescribeQueryDefinitions", DescribeQueryDefinitions },
        { "DeleteQueryDefinition", i =>
            {
                _logs.DeleteQueryDefinition(i.Scope, i.Required("queryDefinitionId"));
                return new JsonObject { ["success"] = true };
            } },
    };

    /// <summary>
    /// StartLiveTail: the session is started (and its input refused with an ordinary error response) before the answer
    /// begins; the answer is then an event stream, as AWS JSON operations with a streamed output send one: the
    /// initial-response event (the output's other members, none here), sessionStart, a sessionUpdate every second, and at
    /// three hours SessionTimeoutException as an exception message, written as produced (HTTP/1.1 chunked for the SDKs).
    /// </summary>
    private OperationResult StartLiveTail(OperationInput i)
    {
        var criteria = new LiveTailCriteria(i.Strings("logGroupIdentifiers"), i.Has("logStreamNames") ? i.Strings("logStreamNames") : null,
            i.Has("logStreamNamePrefixes") ? i.Strings("logStreamNamePrefixes") : null, i.String("logEventFilterPattern") ?? "");
        var session = _logs.StartLiveTail(i.Scope, criteria);
        return new OperationResult
        {
            RawContentType = "application/vnd.amazon.eventstream",
            StreamedBody = (body, cancellation) => WriteLiveTailAsync(body, session, cancellation),
        };
    }

    private async Task WriteLiveTailAsync(Stream body, LiveTailSession session, CancellationToken cancellation)
    {
        using (session)
        {
            try
            {
                await WriteEventAsync(body, "initial-response", new JsonObject(), cancellation);
                var criteria = session.Criteria;
                var start = new JsonObject
                {
                    ["requestId"] = session.RequestId,
                    ["sessionId"] = session.SessionId,
                    ["logGroupIdentifiers"] = new JsonArray(criteria.LogGroupIdentifiers.Select(g => (JsonNode)g).ToArray()),
                    ["logEventFilterPattern"] = criteria.LogEventFilterPattern,
                };
                if (criteria.LogStreamNames is { } names) start["logStreamNames"] = new JsonArray(names.Select(n => (JsonNode)n).ToArray());
                if (criteria.LogStreamNamePrefixes is { } prefixes) start["logStreamNamePrefixes"] = new JsonArray(prefixes.Select(p => (JsonNode)p).ToArray());
                await WriteEventAsync(body, "sessionStart", start, cancellation);
                await foreach (var update in _logs.LiveTailUpdatesAsync(session, cancellation))
                    await WriteEventAsync(body, "sessionUpdate", new JsonObject
                    {
                        ["sessionMetadata"] = new JsonObject { ["sampled"] = update.Sampled },
                        ["sessionResults"] = new JsonArray(update.Events.Select(e => (JsonNode)new JsonObject
                        {
                            ["logStreamName"] = e.LogStreamName,
                            ["logGroupIdentifier"] = e.LogGroupIdentifier,
                            ["message"] = e.Message,
                            ["timestamp"] = e.Timestamp,
                            ["ingestionTime"] = e.IngestionTime,
                        }).ToArray()),
                    }, cancellation);
                if (!cancellation.IsCancellationRequested) await WriteExceptionAsync(body, LogsErrors.LiveTailTimedOut(), cancellation);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The client left (or Stratus is stopping): the session ends with its connection, as on AWS.
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Live Tail session {SessionId} failed", session.SessionId);
                await WriteExceptionAsync(body, LogsErrors.LiveTailFailed(), CancellationToken.None);
            }
        }
    }

    private static async Task WriteEventAsync(Stream body, string eventType, JsonObject payload, CancellationToken cancellation)
    {
        await body.WriteAsync(EventStreamEncoding.Event(eventType, "application/json", JsonBody.Write(payload)), cancellation);
        await body.FlushAsync(cancellation);
    }

    /// <summary>An exception message of the stream, its payload the modeled exception's members (message); a client that left is not written to.</summary>
    private static async Task WriteExceptionAsync(Stream body, AwsException error, CancellationToken cancellation)
    {
        try
        {
            await body.WriteAsync(EventStreamEncoding.Exception(error.Code, "application/json", JsonBody.Write(new JsonObject { ["message"] = error.Message })), cancellation);
            await body.FlushAsync(cancellation);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
    }

    /// <summary>A transformerConfig member: the list of Processor structures, read by the transformer engine.</summary>
    private static JsonArray TransformerConfig(OperationInput i) =>
        new(i.List("transformerConfig").Select(p => p?.DeepClone()).ToArray());

    /// <summary>StartQuery's groups: exactly one of its three ways of naming them.</summary>
    private static IReadOnlyList<string> QueryGroups(OperationInput i)
    {
        var ways = new[] { i.String("logGroupName") is { } name ? [name] : null, i.Has("logGroupNames") ? i.Strings("logGroupNames") : null,
            i.Has("logGroupIdentifiers") ? i.Strings("logGroupIdentifiers") : null }.Where(w => w is not null).ToList();
        if (ways.Count > 1)
            throw LogsErrors.InvalidParameter("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.");
        return ways.Count == 1 ? ways[0]! : [];
    }

    private JsonObject GetQueryResults(OperationInput i)
    {
        var query = _logs.GetQueryResults(i.Scope, i.Required("queryId"));
        var result = query.Result;
        return new JsonObject
        {
            ["queryLanguage"] = "CWLI",
            ["status"] = query.Status,
            // Each row that shows one event ends with its @ptr, as AWS's rows do; a stats group's row has none.
            ["results"] = new JsonArray((result?.Rows ?? []).Select((row, at) => (JsonNode)new JsonArray(row
                .Concat(result!.Pointers[at] is { } pointer ? [("@ptr", pointer.Encode())] : [])
                .Select(f => (JsonNode)new JsonObject
                {
                    ["field"] = f.Field,
                    ["value"] = f.Value,
                }).ToArray())).ToArray()),
            ["statistics"] = new JsonObject
            {
                ["recordsMatched"] = (double)(result?.RecordsMatched ?? 0),
                ["recordsScanned"] = (double)(result?.RecordsScanned ?? 0),
                ["bytesScanned"] = (double)(result?.BytesScanned ?? 0),
            },
        };
    }

    private void AddScheduledQueryOperations(OperationTable table)
    {
        table.Add("CreateScheduledQuery", i =>
        {
            var query = _logs.CreateScheduledQuery(i.Scope, i.Required("name"), ScheduledQuerySettings.Read(i, null), i.StringMap("tags"));
            return new JsonObject { ["scheduledQueryArn"] = query.Arn, ["state"] = query.Settings.State };
        });
        table.Add("GetScheduledQuery", i => ScheduledQueryView(_logs.GetScheduledQuery(i.Scope, i.Required("identifier"))));
        table.Add("UpdateScheduledQuery", i =>
        {
            var identifier = i.Required("identifier");
            // A state left out keeps the query's own (Update states every other member anew, as the model requires them).
            var state = _logs.GetScheduledQuery(i.Scope, identifier).Settings.State;
            return ScheduledQueryView(_logs.UpdateScheduledQuery(i.Scope, identifier, ScheduledQuerySettings.Read(i, state)));
        });
        table.Add("DeleteScheduledQuery", i =>
        {
            _logs.DeleteScheduledQuery(i.Scope, i.Required("identifier"));
            return new JsonObject();
        });
        table.Add("ListScheduledQueries", i =>
        {
            var limit = i.Int("maxResults") ?? MaxScheduledQueryPage;
            return Page("scheduledQueries", _logs.ListScheduledQueries(i.Scope, i.String("state")), limit, i.String("nextToken"), q => new JsonObject
            {
                ["scheduledQueryArn"] = q.Arn,
                ["name"] = q.Name,
                ["state"] = q.Settings.State,
                ["lastTriggeredTime"] = q.LastTriggeredTime,
                ["lastExecutionStatus"] = q.LastExecutionStatus,
                ["scheduleExpression"] = q.Settings.ScheduleExpression,
                ["timezone"] = q.Settings.Timezone,
                ["destinationConfiguration"] = DestinationView(q.Settings.Destination),
                ["creationTime"] = q.CreationTime,
                ["lastUpdatedTime"] = q.LastUpdatedTime,
            });
        });
        table.Add("GetScheduledQueryHistory", i =>
        {
            var limit = i.Int("maxResults") ?? MaxScheduledQueryPage;
            var (query, runs) = _logs.GetScheduledQueryHistory(i.Scope, i.Required("identifier"), i.Long("startTime") ?? throw i.Style.Missing("startTime"),
                i.Long("endTime") ?? throw i.Style.Missing("endTime"), i.Strings("executionStatuses"));
            var page = Page("triggerHistory", runs, limit, i.String("nextToken"), r => new JsonObject
            {
                ["queryId"] = r.QueryId,
                ["executionStatus"] = r.ExecutionStatus,
                ["triggeredTimestamp"] = r.TriggeredTimestamp,
                ["errorMessage"] = r.ErrorMessage,
                ["destinations"] = new JsonArray(r.Destinations.Select(d => (JsonNode)new JsonObject
                {
                    ["destinationType"] = d.DestinationType,
                    ["destinationIdentifier"] = d.DestinationIdentifier,
                    ["status"] = d.Status,
                    ["processedIdentifier"] = d.ProcessedIdentifier,
                    ["errorMessage"] = d.ErrorMessage,
                }).ToArray()),
            });
            page["name"] = query.Name;
            page["scheduledQueryArn"] = query.Arn;
            return page;
        });
    }

    /// <summary>GetScheduledQuery's and UpdateScheduledQuery's answer: the whole query with its last run.</summary>
    private static JsonObject ScheduledQueryView(ScheduledQuery q) => new()
    {
        ["scheduledQueryArn"] = q.Arn,
        ["name"] = q.Name,
        ["description"] = q.Settings.Description,
        ["queryLanguage"] = q.Settings.QueryLanguage,
        ["queryString"] = q.Settings.QueryString,
        ["logGroupIdentifiers"] = q.Settings.LogGroupIdentifiers is { } groups ? new JsonArray(groups.Select(g => (JsonNode)JsonValue.Create(g)).ToArray()) : null,
        ["scheduleExpression"] = q.Settings.ScheduleExpression,
        ["timezone"] = q.Settings.Timezone,
        ["startTimeOffset"] = q.Settings.StartTimeOffset,
        ["destinationConfiguration"] = DestinationView(q.Settings.Destination),
        ["state"] = q.Settings.State,
        ["lastTriggeredTime"] = q.LastTriggeredTime,
        ["lastExecutionStatus"] = q.LastExecutionStatus,
        ["scheduleStartTime"] = q.Settings.ScheduleStartTime,
        ["scheduleEndTime"] = q.Settings.ScheduleEndTime,
        ["executionRoleArn"] = q.Settings.ExecutionRoleArn,
        ["creationTime"] = q.CreationTime,
        ["lastUpdatedTime"] = q.LastUpdatedTime,
    };

    private static JsonObject? DestinationView(ScheduledQueryS3Destination? d) => d is null ? null : new JsonObject
    {
        ["s3Configuration"] = new JsonObject
        {
            ["destinationIdentifier"] = d.DestinationIdentifier,
            ["roleArn"] = d.RoleArn,
            ["ownerAccountId"] = d.OwnerAccountId,
            ["kmsKeyId"] = d.KmsKeyId,
        },
    };

    private JsonObject DescribeQueries(OperationInput i)
    {
        var limit = i.Int("maxResults") ?? 1000;
        LogsErrors.Validation.CheckRange("maxResults", limit, 1, 1000);
        var queries = _logs.DescribeQueries(i.Scope, i.String("logGroupName"), i.String("status"));
        return Page("queries", queries, limit, i.String("nextToken"), q => new JsonObject
        {
            ["queryLanguage"] = "CWLI",
            ["queryId"] = q.Id,
            ["queryString"] = q.QueryString,
            ["status"] = q.Status,
            ["createTime"] = q.CreateTime,
            ["logGroupName"] = q.LogGroupName,
            ["queryDuration"] = q.DurationMs,
            ["bytesScanned"] = q.Result is { } r ? (double)r.BytesScanned : null,
        });
    }

    private JsonObject DescribeQueryDefinitions(OperationInput i)
    {
        var limit = i.Int("maxResults") ?? 1000;
        LogsErrors.Validation.CheckRange("maxResults", limit, 1, 1000);
        var definitions = _logs.DescribeQueryDefinitions(i.Scope, i.String("queryDefinitionNamePrefix"));
        return Page("queryDefinitions", definitions, limit, i.String("nextToken"), d => new JsonObject
        {
            ["queryLanguage"] = "CWLI",
            ["queryDefinitionId"] = d.Id,
            ["name"] = d.Name,
            ["queryString"] = d.QueryString,
            ["lastModified"] = d.LastModified,
            ["logGroupNames"] = new JsonArray(d.LogGroupNames.Select(n => (JsonNode)n).ToArray()),
        });
    }

    private JsonObject DescribeLogGroups(OperationInput i)
    {
        var limit = Limit(i, MaxDescribeLimit);
        var groups = _logs.DescribeLogGroups(i.Scope, i.String("logGroupNamePrefix"), i.String("logGroupNamePattern"));
        return Page("logGroups", groups, limit, i.String("nextToken"), g => new JsonObject
        {
            ["logGroupName"] = g.Name,
            ["creationTime"] = g.CreationTime,
            ["retentionInDays"] = g.RetentionInDays,
            ["kmsKeyId"] = g.KmsKeyId,
            ["metricFilterCount"] = _logs.MetricFilterCount(g),
            ["arn"] = g.Arn + ":*",
            ["storedBytes"] = _logs.StoredBytes(g),
            ["logGroupClass"] = g.LogGroupClass,
            ["logGroupArn"] = g.Arn,
            ["deletionProtectionEnabled"] = g.DeletionProtectionEnabled,
            ["dataProtectionStatus"] = _logs.DataProtectionStatus(g),
        });
    }

    /// <summary>
    /// ListLogGroups: by name pattern, class and tags (all filters must hold), pages of 50 unless limit says otherwise.
    /// Field index names match no group (Stratus builds no field indexes); data sources are refused by name (vended logs are not built).
    /// </summary>
    private JsonObject ListLogGroups(OperationInput i)
    {
        if (i.Has("dataSources"))
            throw LogsErrors.InvalidParameter("Stratus does not record log groups' data sources (vended log deliveries are not built): dataSources cannot filter.");
        var limit = i.Int("limit") ?? MaxDescribeLimit;
        var tagFilters = i.List("logGroupTags").Select(n => i.Nested(n as JsonObject ?? throw i.Style.Invalid("logGroupTags", "must be a list of structures")))
            .Select(f => (Key: f.Required("key"), Values: f.Strings("values"))).ToList();
        var fieldIndexNames = i.Has("fieldIndexNames") ? i.Strings("fieldIndexNames") : null;
        var groups = _logs.ListLogGroups(i.Scope, i.String("logGroupNamePattern"), i.String("logGroupClass"))
            .Where(g => tagFilters.All(f => g.Tags.TryGetValue(f.Key, out var value) && (f.Values.Count == 0 || f.Values.Contains(value))))
            .Where(g => fieldIndexNames is null || _logs.IsIndexedOn(g, fieldIndexNames))
            .ToList();
        return Page("logGroups", groups, limit, i.String("nextToken"), g => new JsonObject
        {
            ["logGroupName"] = g.Name,
            ["logGroupArn"] = g.Arn,
            ["logGroupClass"] = g.LogGroupClass,
        });
    }

    private JsonObject DescribeMetricFilters(OperationInput i)
    {
        var limit = Limit(i, MaxDescribeLimit);
        var filters = _logs.DescribeMetricFilters(i.Scope, i.String("logGroupName"), i.String("filterNamePrefix"), i.String("metricName"), i.String("metricNamespace"));
        return Page("metricFilters", filters, limit, i.String("nextToken"), f => new JsonObject
        {
            ["filterName"] = f.FilterName,
            ["filterPattern"] = f.FilterPattern,
            ["metricTransformations"] = new JsonArray(new JsonObject
            {
                ["metricName"] = f.Transformation.MetricName,
                ["metricNamespace"] = f.Transformation.MetricNamespace,
                ["metricValue"] = f.Transformation.MetricValue,
                ["defaultValue"] = f.Transformation.DefaultValue,
                ["dimensions"] = Tags(f.Transformation.Dimensions),
                ["unit"] = f.Transformation.Unit,
            }),
            ["creationTime"] = f.CreationTime,
            ["logGroupName"] = f.GroupName,
        });
    }

    private JsonObject DescribeLogStreams(OperationInput i)
    {
        var limit = Limit(i, MaxDescribeLimit);
        var streams = _logs.DescribeLogStreams(i.Scope, GroupName(i), i.String("logStreamNamePrefix"), i.String("orderBy") ?? "LogStreamName", i.Bool("descending") ?? false);
        return Page("logStreams", streams, limit, i.String("nextToken"), s => new JsonObject
        {
            ["logStreamName"] = s.Stream.Name,
            ["creationTime"] = s.Stream.CreationTime,
            ["firstEventTimestamp"] = s.Statistics.FirstEventTimestamp,
            ["lastEventTimestamp"] = s.Statistics.LastEventTimestamp,
            ["lastIngestionTime"] = s.Statistics.LastIngestionTime,
            ["uploadSequenceToken"] = SequenceToken(),
            ["arn"] = s.Stream.Arn,
            ["storedBytes"] = 0,
        });
    }

    private async Task<OperationResult> PutLogEventsAsync(OperationInput i)
    {
        var events = i.List("logEvents").Select(n => i.Nested(n as JsonObject ?? throw i.Style.Invalid("logEvents", "must be a list of structures")))
            .Select(e => (e.Long("timestamp") ?? throw e.Style.Missing("timestamp"), e.Required("message"))).ToList();
        var outcome = await _logs.PutLogEventsAsync(i.Scope, GroupName(i), i.Required("logStreamName"), events);
        var body = new JsonObject { ["nextSequenceToken"] = SequenceToken() };
        if (outcome is not { TooNewStartIndex: null, TooOldEndIndex: null, ExpiredEndIndex: null })
            body["rejectedLogEventsInfo"] = new JsonObject
            {
                ["tooNewLogEventStartIndex"] = outcome.TooNewStartIndex,
                ["tooOldLogEventEndIndex"] = outcome.TooOldEndIndex,
                ["expiredLogEventEndIndex"] = outcome.ExpiredEndIndex,
            };
        return body;
    }

    private JsonObject GetLogEvents(OperationInput i)
    {
        var page = _logs.GetLogEvents(i.Scope, GroupName(i), i.Required("logStreamName"), i.Long("startTime"), i.Long("endTime"),
            i.String("nextToken"), Limit(i, 10_000), i.Bool("startFromHead") ?? false, i.Bool("unmask") ?? false);
        return new JsonObject
        {
            ["events"] = new JsonArray(page.Events.Select(e => (JsonNode)new JsonObject
            {
                ["timestamp"] = e.Timestamp,
                ["message"] = e.Message,
                ["ingestionTime"] = e.IngestionTime,
            }).ToArray()),
            ["nextForwardToken"] = page.ForwardToken,
            ["nextBackwardToken"] = page.BackwardToken,
        };
    }

    private JsonObject FilterLogEvents(OperationInput i)
    {
        var page = _logs.FilterLogEvents(i.Scope, GroupName(i), i.Strings("logStreamNames"), i.String("logStreamNamePrefix"),
            i.Long("startTime"), i.Long("endTime"), i.String("filterPattern"), i.String("nextToken"), Limit(i, 10_000), i.Bool("unmask") ?? false);
        var body = new JsonObject
        {
            ["events"] = new JsonArray(page.Events.Select(e => (JsonNode)new JsonObject
            {
                ["logStreamName"] = e.LogStreamName,
                ["timestamp"] = e.Event.Timestamp,
                ["message"] = e.Event.Message,
                ["ingestionTime"] = e.Event.IngestionTime,
                ["eventId"] = e.Event.Position,
            }).ToArray()),
            ["searchedLogStreams"] = new JsonArray(page.SearchedStreams.Select(s => (JsonNode)new JsonObject
            {
                ["logStreamName"] = s,
                ["searchedCompletely"] = page.NextToken is null,
            }).ToArray()),
        };
        if (page.NextToken is not null) body["nextToken"] = page.NextToken;
        return body;
    }

    /// <summary>The group an operation names, by logGroupName or logGroupIdentifier (name or ARN).</summary>
    private static string GroupName(OperationInput i) =>
        i.String("logGroupName") ?? i.String("logGroupIdentifier") ?? throw i.Style.Missing("logGroupName");

    private static int Limit(OperationInput i, int max)
    {
        var limit = i.Int("limit") ?? max;
        LogsErrors.Validation.CheckRange("limit", limit, 1, max);
        return limit;
    }

    /// <summary>A string map as a JSON object (tags, metric filter dimensions).</summary>
    private static JsonObject Tags(Dictionary<string, string> tags) => new(tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value)));

    /// <summary>Sequence tokens are no longer checked by CloudWatch Logs; it still returns one.</summary>
    private static string SequenceToken() => "49" + DateTime.UtcNow.Ticks.ToString("D54", CultureInfo.InvariantCulture);

    /// <summary>
    /// One page of a Describe operation's results under its member name, with the nextToken of the next page when
    /// there is one (the token is the next item's offset, opaque to clients).
    /// </summary>
    private static JsonObject Page<T>(string member, IReadOnlyList<T> items, int limit, string? nextToken, Func<T, JsonNode> view)
    {
        var from = Offset(nextToken);
        var body = new JsonObject { [member] = new JsonArray(items.Skip(from).Take(limit).Select(item => view(item)).ToArray()) };
        if (from + limit < items.Count) body["nextToken"] = Token(from + limit);
        return body;
    }

    private static string Token(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes("stratus:" + offset.ToString(CultureInfo.InvariantCulture)));

    private static int Offset(string? token)
    {
        if (token is null) return 0;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("stratus:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                return offset;
        }
        catch (FormatException)
        {
        }
        throw LogsErrors.InvalidNextToken();
    }
}
