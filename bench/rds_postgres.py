#!/usr/bin/env python3
"""RDS postgres instances (issue #19): seconds from create_db_instance to available on Stratus, beside PostgreSQL alone
doing what an instance needs (initdb of a new data directory, then pg_ctl start until it accepts connections), rounds
alternating so the machine's drift hits both alike; and seconds from create_db_instance_read_replica to available for
a replica of each source (PostgreSQL, and MariaDB instances created the same way), beside the source's own
create-to-available. Prints Markdown tables.
    python3 bench/rds_postgres.py            # 5 rounds
    python3 bench/rds_postgres.py --rounds 2
Stratus runs as built (bench/run, or dotnet build src/Stratus -c Release); PostgreSQL from Debian's postgresql package.
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import harness
from harness import alternate, client, free_port, machine, spread


def postgres_bin():
    """The newest major in /usr/lib/postgresql, as Stratus takes it."""
    majors = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not majors:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql")
    return os.path.dirname(majors[-1])


def as_postgres_user(argv):
    """postgres refuses root: as root, in a user namespace as the postgres user, exactly as Stratus runs it."""
    if os.geteuid() != 0:
        return argv
    import pwd
    user = pwd.getpwnam("postgres")
    return ["unshare", "--user", f"--map-user={user.pw_uid}", f"--map-group={user.pw_gid}", "--", *argv]


def postgres_alone(work, bindir):
    """initdb + pg_ctl start -w (it returns once the server accepts connections), then stopped and removed."""
    home = tempfile.mkdtemp(prefix="pg-", dir=work)
    data, port = os.path.join(home, "data"), free_port()
    started = time.perf_counter()
    subprocess.run(as_postgres_user([f"{bindir}/initdb", f"--pgdata={data}", "--username=rdsadmin", "--auth-local=trust",
                                     "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(as_postgres_user([f"{bindir}/pg_ctl", "start", "-w", "-D", data, "-l", f"{home}/log",
                                     "-o", f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={home} -c shared_buffers=16MB"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    subprocess.run(as_postgres_user([f"{bindir}/pg_ctl", "stop", "-m", "fast", "-D", data]), check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(home)
    return elapsed


def wait_available(rds, name):
    """Seconds until describe says available (polled every 50 ms)."""
    while (status := rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]) != "available":
        if status == "failed":
            raise RuntimeError(f"{name} failed")
        time.sleep(0.05)


def stratus_create(stratus, round_, replicas, engine="postgres"):
    """create_db_instance until available, then create_db_instance_read_replica of it until available (appended to
    `replicas`); both deleted. Returns the source's seconds."""
    rds = client(stratus, "rds")
    name = f"bench-{engine}-{round_}"
    started = time.perf_counter()
    rds.create_db_instance(DBInstanceIdentifier=name, Engine=engine, DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="bench", MasterUserPassword="bench-password", DBName="bench")
    wait_available(rds, name)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    rds.create_db_instance_read_replica(DBInstanceIdentifier=f"{name}-replica", SourceDBInstanceIdentifier=name)
    wait_available(rds, f"{name}-replica")
    replicas.append(time.perf_counter() - started)
    for instance in [f"{name}-replica", name]:
        rds.delete_db_instance(DBInstanceIdentifier=instance, SkipFinalSnapshot=True)
    while any(i["DBInstanceIdentifier"].startswith(name) for i in rds.describe_db_instances()["DBInstances"]):
        time.sleep(0.1)
    return elapsed


SECTION = ("<!-- bench/rds_postgres: begin -->", "<!-- bench/rds_postgres: end -->")


def run(quick, rounds=None):
    """The comparison as Markdown lines: 5 rounds, 2 with --quick (bench/run's section; this script alone prints it)."""
    rounds_total = rounds or (2 if quick else 5)
    if not glob.glob("/usr/lib/postgresql/*/bin/postgres"):
        return ["## RDS postgres create-to-available", "", "Not measured: PostgreSQL is not installed (apt-get install postgresql)."]
    bindir = postgres_bin()
    rounds = iter(range(rounds_total))
    work = tempfile.mkdtemp(prefix="bench-pg-")
    stratus = harness.start_stratus()
    replicas = {"postgres": [], "mariadb": []}
    sources = {"mariadb": []}
    try:
        values = alternate({"Stratus": lambda: stratus_create(stratus, next(rounds), replicas["postgres"]),
                            "reference": lambda: postgres_alone(work, bindir)}, rounds_total)
        if shutil.which("mariadbd") or os.path.exists("/usr/sbin/mariadbd"):
            for round_ in range(rounds_total):
                sources["mariadb"].append(stratus_create(stratus, round_, replicas["mariadb"], "mariadb"))
    finally:
        stratus.stop()
        shutil.rmtree(work, ignore_errors=True)
    version = subprocess.run([f"{bindir}/postgres", "--version"], capture_output=True, text=True).stdout.strip()
    stratus_median, reference_median = statistics.median(values["Stratus"]), statistics.median(values["reference"])
    return [
        "## RDS postgres create-to-available (`bench/rds_postgres.py`)",
        "",
        f"{rounds_total} rounds, {version}; {machine()}",
        "",
        "| | Stratus `create-db-instance --engine postgres` | `initdb` + `pg_ctl start -w` alone | ratio |",
        "| --- | --- | --- | --- |",
        f"| seconds, median (min-max) | {spread(values['Stratus'], 2)} | {spread(values['reference'], 2)} | "
        f"{stratus_median / reference_median:.1f}x |",
        "",
        "Read replica create-to-available (a copy of the running source: pg_basebackup for PostgreSQL, a consistent dump for MariaDB)",
        "",
        "| engine | source `create-db-instance` | replica `create-db-instance-read-replica` |",
        "| --- | --- | --- |",
        f"| postgres | {spread(values['Stratus'], 2)} | {spread(replicas['postgres'], 2)} |",
    ] + ([f"| mariadb | {spread(sources['mariadb'], 2)} | {spread(replicas['mariadb'], 2)} |"] if sources["mariadb"] else
         ["| mariadb | not measured: MariaDB is not installed | |"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("\n".join(run(False, args.rounds)))


if __name__ == "__main__":
    sys.exit(main())
