namespace Stratus.Tests.Services.Events;

/// <summary>Python the event-delivery scripts share: a function that logs each event it gets, and a wait for what it logged.</summary>
public static class EventScripts
{
    public const string Prelude = """
        WORKER = "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n    return {}\n"
        logs = client("logs")
        def received(function, count, timeout=30):
            deadline = time.time() + timeout
            while True:
                try:
                    found = [json.loads(e["message"].split("EVENT ", 1)[1])
                             for e in logs.filter_log_events(logGroupName="/aws/lambda/" + function)["events"] if "EVENT " in e["message"]]
                except logs.exceptions.ResourceNotFoundException:
                    found = []
                if len(found) >= count or time.time() > deadline:
                    return found
                time.sleep(0.5)

        """;
}
