#!/usr/bin/env python3
"""Aurora clusters (issue #19): seconds from create_db_cluster to a two-reader cluster whose three instances are all
available on Stratus (cluster volume, writer, two readers replicating from it), for aurora-mysql and aurora-postgresql;
then a SELECT round trip through the cluster's reader endpoint (Stratus's forwarder) beside a direct connection to one
reader. Prints Markdown tables.
    python3 bench/rds_aurora.py                    # 3 rounds, both engines
    python3 bench/rds_aurora.py --rounds 1 --engine aurora-postgresql
Stratus runs as built (dotnet build src/Stratus -c Release); the servers are Debian's mariadb-server and postgresql,
the round trips are timed with their command-line clients (mariadb, psql), one session of --selects statements each.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import harness
from harness import client, machine, spread

USER, PASSWORD, DATABASE = "bench", "bench-password", "bench"
MEMBERS = ["writer", "reader-1", "reader-2"]


def wait_available(rds, instance, poll=0.05):
    while (status := rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0]["DBInstanceStatus"]) != "available":
        if status == "failed":
            raise RuntimeError(f"{instance} failed")
        time.sleep(poll)


def create_cluster(stratus, engine, round_):
    """create_db_cluster and three create_db_instance calls at once, until every instance is available (polled every 50 ms)."""
    rds = client(stratus, "rds")
    cluster = f"bench-{engine}-{round_}"
    started = time.perf_counter()
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine=engine, MasterUsername=USER, MasterUserPassword=PASSWORD, DatabaseName=DATABASE)
    for member in MEMBERS:
        rds.create_db_instance(DBInstanceIdentifier=f"{cluster}-{member}", DBClusterIdentifier=cluster, Engine=engine, DBInstanceClass="db.r6g.large")
    for member in MEMBERS:
        wait_available(rds, f"{cluster}-{member}")
    return time.perf_counter() - started, cluster


def delete_cluster(stratus, cluster):
    rds = client(stratus, "rds")
    for member in MEMBERS:
        rds.delete_db_instance(DBInstanceIdentifier=f"{cluster}-{member}")
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    while any(c["DBClusterIdentifier"] == cluster for c in rds.describe_db_clusters()["DBClusters"]):
        time.sleep(0.1)


def select_session(engine, host, port, selects):
    """Seconds per SELECT 1 in one client session of `selects` statements (the client's start is spread over them)."""
    script = "SELECT 1;\n" * selects
    if engine == "aurora-mysql":
        argv = ["mariadb", f"-h{host}", f"-P{port}", f"-u{USER}", f"-p{PASSWORD}", DATABASE, "-N", "-s"]
        env = os.environ
    else:
        argv = ["psql", "-h", host, "-p", str(port), "-U", USER, "-d", DATABASE, "-q", "-A", "-t"]
        env = {**os.environ, "PGPASSWORD": PASSWORD}
    started = time.perf_counter()
    subprocess.run(argv, input=script, text=True, check=True, stdout=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - started) / selects


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--selects", type=int, default=2000)
    parser.add_argument("--engine", choices=["aurora-mysql", "aurora-postgresql"], action="append")
    args = parser.parse_args()
    engines = args.engine or ["aurora-mysql", "aurora-postgresql"]
    stratus = harness.start_stratus()
    created, direct, through = {}, {}, {}
    try:
        for engine in engines:
            created[engine], direct[engine], through[engine] = [], [], []
            for round_ in range(args.rounds):
                seconds, cluster = create_cluster(stratus, engine, round_)
                created[engine].append(seconds)
                rds = client(stratus, "rds")
                c = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]
                reader = rds.describe_db_instances(DBInstanceIdentifier=f"{cluster}-reader-1")["DBInstances"][0]["Endpoint"]
                # Alternating, so the machine's drift hits both alike.
                direct[engine].append(select_session(engine, reader["Address"], reader["Port"], args.selects))
                through[engine].append(select_session(engine, c["ReaderEndpoint"], c["Port"], args.selects))
                delete_cluster(stratus, cluster)
    finally:
        stratus.stop()

    print(f"Aurora cluster create-to-available (writer and two readers), {args.rounds} rounds; {machine()}\n")
    print("| engine | seconds, median (min-max) |")
    print("| --- | --- |")
    for engine in engines:
        print(f"| {engine} | {spread(created[engine], 2)} |")
    print(f"\nSELECT 1 round trip, microseconds, median of {args.rounds} sessions of {args.selects} statements\n")
    print("| engine | direct to a reader | through the reader endpoint | ratio |")
    print("| --- | --- | --- | --- |")
    for engine in engines:
        d, t = statistics.median(direct[engine]) * 1e6, statistics.median(through[engine]) * 1e6
        print(f"| {engine} | {d:.0f} | {t:.0f} | {t / d:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
