#!/usr/bin/env python3
"""Writes a service's member constraints, taken from botocore's published service model, as the compact
data file its <S>Rules.cs loads (src/Stratus/Services/<S>/<S>Rules.json).

Only shapes are read (required, min/max, pattern, enum, nesting), never documentation. The output is
checked in, so building Stratus does not need botocore; run this again when botocore's model changes or a
service is added:

    python3 scripts/member-rules.py lambda Lambda
    python3 scripts/member-rules.py logs Logs
    python3 scripts/member-rules.py ssm Ssm
    python3 scripts/member-rules.py secretsmanager SecretsManager
    python3 scripts/member-rules.py kms Kms
    python3 scripts/member-rules.py iam Iam
    python3 scripts/member-rules.py sts Sts
    python3 scripts/member-rules.py cloudformation CloudFormation
    python3 scripts/member-rules.py cloudwatch CloudWatch
    python3 scripts/member-rules.py ecr Ecr
    python3 scripts/member-rules.py rds Rds
    python3 scripts/member-rules.py ec2 Ec2
    python3 scripts/member-rules.py apigateway ApiGateway

The published models are the clients' view: where AWS's servers check more or differently (Lambda's
Timeout is at most 900, its Runtime is refused as InvalidParameterValueException), <S>Rules.cs says so.
"""
import json
import os
import sys

import botocore.loaders

MAX_DEPTH = 5  # Nested structures deeper than this are not described (their members are read by the service).


def camel(name):
    return name[:1].lower() + name[1:]


def constrained_here(rule):
    return bool(set(rule) - {"member", "path", "type"})


PROTOCOL = None  # the service model's protocol, set in main()


def wire_name(member_name, member):
    """The name the request carries a member under: a REST label's or query parameter's name; EC2's query name (its
    queryName, else its locationName capitalized, as EC2's query protocol serializes it); otherwise the member's own."""
    if member.get("location") in ("uri", "querystring"):
        return member.get("locationName", member_name)
    if PROTOCOL == "ec2":
        if "queryName" in member:
            return member["queryName"]
        if "locationName" in member:
            return member["locationName"][:1].upper() + member["locationName"][1:]
    return member_name


def describe(shapes, member_name, member, required, depth):
    """One member's rule, or None when neither it nor anything inside it is constrained."""
    if member.get("location") == "header" or member.get("location") == "headers" or member.get("location") == "statusCode":
        return None
    shape = shapes[member["shape"]]
    kind = shape["type"]
    rule = {"member": wire_name(member_name, member), "path": camel(member_name), "type": kind}
    if required:
        rule["required"] = True
    if kind in ("string", "list", "map", "blob"):
        if "min" in shape:
            rule["minLength"] = shape["min"]
        if "max" in shape:
            rule["maxLength"] = shape["max"]
    elif kind in ("integer", "long", "float", "double"):
        if "min" in shape:
            rule["min"] = shape["min"]
        if "max" in shape:
            rule["max"] = shape["max"]
    if kind == "string" and "pattern" in shape:
        rule["pattern"] = shape["pattern"]
    if kind == "string" and "enum" in shape:
        rule["enum"] = shape["enum"]
    if shape.get("sensitive") and constrained_here(rule):
        rule["sensitive"] = True  # AWS leaves a sensitive member's value out of its message.
    if depth < MAX_DEPTH:
        if kind == "structure":
            nested = members(shapes, shape, depth + 1)
            if nested:
                rule["members"] = nested
        elif kind == "list" and shapes[shape["member"]["shape"]]["type"] == "structure":
            nested = members(shapes, shapes[shape["member"]["shape"]], depth + 1)
            if nested:
                rule["items"] = nested
    return rule if constrained_here(rule) else None


def members(shapes, structure, depth):
    required = set(structure.get("required", []))
    rules = []
    for name, member in structure.get("members", {}).items():
        if name == structure.get("payload") and (member.get("streaming", shapes[member["shape"]].get("streaming"))
                                                 or shapes[member["shape"]]["type"] == "blob"):
            continue  # A blob payload is the request body itself (ImportRestApi's definition), read by the service, never a named member.
        rule = describe(shapes, name, member, name in required, depth)
        if rule is not None:
            rules.append(rule)
    return rules


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: member-rules.py <botocore service name> <Stratus service folder>")
    service, folder = sys.argv[1], sys.argv[2]
    model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    shapes = model["shapes"]
    global PROTOCOL
    PROTOCOL = model["metadata"]["protocol"]
    operations = {}
    for name, operation in sorted(model["operations"].items()):
        if "input" not in operation:
            continue
        rules = members(shapes, shapes[operation["input"]["shape"]], 0)
        if rules:
            operations[name] = rules
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.path.join(root, "src", "Stratus", "Services", folder, folder + "Rules.json")
    with open(target, "w", encoding="utf-8") as out:
        # One operation a line, so a model update shows as a readable diff.
        out.write('{"service":%s,"apiVersion":%s,"operations":{\n' % (json.dumps(service), json.dumps(model["metadata"]["apiVersion"])))
        out.write(",\n".join(f"{json.dumps(name)}:{json.dumps(rules, separators=(',', ':'))}" for name, rules in operations.items()))
        out.write("\n}}\n")
    print(f"{target}: {len(operations)} operations")


if __name__ == "__main__":
    main()
