import json, os


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"path": event.get("path"), "bucket": os.environ["BUCKET"], "parameter": os.environ["GREETING_PARAMETER"]}),
    }
