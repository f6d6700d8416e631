"""A throwaway PostgreSQL cluster that writes real query logs for the tests.

:func:`produce_logs` initialises a cluster in a temporary folder, starts it on a free
loopback port (and a Unix socket in that folder), runs a workload, stops the cluster and
returns where the logs are (:class:`PgLogs`). Server settings::

    log_destination = 'stderr,csvlog,jsonlog'   (jsonlog: PostgreSQL 15+)
    logging_collector = on                      (postgresql.log, .csv and .json)
    log_min_duration_statement = 0              (every statement with its duration)
    log_line_prefix = '%m [%p] %q%u@%d '
    shared_preload_libraries = 'pg_stat_statements'

The workload: ``pgbench -i`` (scale 1), ``pgbench`` in the simple, extended and prepared
protocols (``-M``), then :data:`MULTI_SCHEMA_SQL` through ``psql`` (statements over
several lines, tables in three schemas) with ``application_name`` set, and a CSV export of
``pg_stat_statements`` as ``\\copy (select ...) to ... csv header`` writes it (with ``toplevel`` from
PostgreSQL 14: the foreign-key checks of the multi-schema inserts run inside the server).

The binaries come from Debian's ``postgresql`` package (``/usr/lib/postgresql/*/bin``).
PostgreSQL refuses to run as root: as root, every server command runs through ``runuser``
as the ``postgres`` user (created with ``useradd`` when absent), and the folder is handed to
that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

LOG_LINE_PREFIX = "%m [%p] %q%u@%d "
DATABASE = "seams"
APPLICATION_NAME = "seams-multi-schema"
SERVER_USER = "postgres"

#: Transactions per pgbench run (per client); three protocols x 2 clients.
PGBENCH_TRANSACTIONS = 40
PGBENCH_CLIENTS = 2

#: A small shop in three schemas. Every statement after the DDL has a known table access
#: (see ``MULTI_SCHEMA_TABLES`` in the tests); several statements span several lines.
MULTI_SCHEMA_SQL = """\
CREATE SCHEMA sales;
CREATE SCHEMA billing;
CREATE SCHEMA stock;
CREATE TABLE sales.customer (id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE sales.orders (
    id int PRIMARY KEY,
    customer_id int REFERENCES sales.customer (id),
    total numeric NOT NULL
);
CREATE TABLE billing.invoice (id serial PRIMARY KEY, order_id int REFERENCES sales.orders (id), amount numeric);
CREATE TABLE stock.item (sku text PRIMARY KEY, quantity int NOT NULL);
CREATE TABLE audit_log (id serial PRIMARY KEY, note text);
INSERT INTO sales.customer (id, email) VALUES (1, 'ada@example.org'), (2, 'bob@example.org');
INSERT INTO sales.orders (id, customer_id, total)
VALUES (10, 1, 25.50);
INSERT INTO sales.orders (id, customer_id, total)
VALUES (11, 2, 99.00);
INSERT INTO stock.item VALUES ('sku-1', 5), ('sku-2', 7);
SELECT o.id, c.email
  FROM sales.orders o
  JOIN sales.customer c ON c.id = o.customer_id
 WHERE o.total > 20;
SELECT o.id, c.email
  FROM sales.orders o
  JOIN sales.customer c ON c.id = o.customer_id
 WHERE o.total > 90;
INSERT INTO billing.invoice (order_id, amount)
SELECT id, total
  FROM sales.orders
 WHERE id = 10;
UPDATE stock.item
   SET quantity = quantity - 1
 WHERE sku = 'sku-1';
UPDATE stock.item
   SET quantity = quantity - 1
 WHERE sku = 'sku-2';
WITH big AS (
    SELECT order_id, amount FROM billing.invoice WHERE amount > 10
)
SELECT o.id, big.amount
  FROM big
  JOIN sales.orders o ON o.id = big.order_id;
SELECT * FROM stock.item WHERE sku = 'sku-1' FOR UPDATE;
DELETE FROM audit_log a USING sales.orders o WHERE a.id = o.id;
INSERT INTO audit_log (note) VALUES ('shipped
on two lines');
SELECT count(*) FROM audit_log;
"""

PG_STAT_STATEMENTS_EXPORT = (
    "\\copy (select queryid, query, calls, total_exec_time, rows{toplevel} from pg_stat_statements"
    " order by queryid) to '{path}' csv header"
)


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries (or pgbench) on this machine."""


@dataclass(frozen=True)
class PgLogs:
    """The logs one workload left behind."""

    folder: Path
    stderr: Path
    csvlog: Path
    jsonlog: Path
    pg_stat_statements_csv: Path
    log_line_prefix: str
    major_version: int
    #: what ``while_running(dsn)`` returned, called after the workload and before the stop
    live: object = None


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with ``initdb`` and ``pgbench``."""
    found = []
    for folder in glob.glob("/usr/lib/postgresql/*/bin"):
        p = Path(folder)
        if (p / "initdb").exists() and (p / "pgbench").exists() and p.parent.name.isdigit():
            found.append((int(p.parent.name), p))
    return max(found)[1] if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """None when not root (commands run as the current user), else the user to run as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True)
    return SERVER_USER


class Cluster:
    """One cluster in ``folder``: ``start``, ``run`` client programs, ``stop``."""

    def __init__(self, folder: Path, bin_dir: Path):
        self.folder = folder
        self.bin_dir = bin_dir
        self.data = folder / "data"
        self.logs = folder / "logs"
        self.port = free_port()
        self.user = _server_user()
        self.major_version = int(bin_dir.parent.name)

    @property
    def dsn(self) -> str:
        """A libpq connection string to the workload's database over loopback TCP."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={DATABASE} connect_timeout=10"

    def command(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", self.user, "--", *cmd] if self.user else cmd

    def run(self, program: str, *args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
        env = {**os.environ, "PGHOST": str(self.folder), "PGPORT": str(self.port), "PGUSER": "postgres",
               "LC_ALL": "C", "PGTZ": "UTC"}
        out = subprocess.run(self.command(program, *args), capture_output=True, text=True, timeout=timeout,
                             env=env, cwd=self.folder, **kwargs)
        if out.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return out

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        if self.user:
            shutil.chown(self.folder, self.user)
            shutil.chown(self.logs, self.user)
        os.chmod(self.folder, 0o755)
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C", "--no-sync")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.folder}'",
            "log_destination": "'stderr,csvlog,jsonlog'" if self.major_version >= 15 else "'stderr,csvlog'",
            "logging_collector": "on",
            "log_directory": f"'{self.logs}'",
            "log_filename": "'postgresql.log'",
            "log_rotation_age": "0",
            "log_rotation_size": "0",
            "log_min_duration_statement": "0",
            "log_line_prefix": f"'{LOG_LINE_PREFIX}'",
            "log_timezone": "'UTC'",
            "lc_messages": "'C'",
            "log_checkpoints": "off",
            "shared_preload_libraries": "'pg_stat_statements'",
            "pg_stat_statements.track": "all",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# Seams test cluster\n")
            fh.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.out"), "-w", "start", timeout=60)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)

    def psql(self, sql: str | None = None, *, file: Path | None = None, database: str = DATABASE,
             application_name: str = "psql") -> str:
        args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", f"dbname={database} application_name={application_name}"]
        args += ["-f", str(file)] if file else ["-c", sql or ""]
        return self.run("psql", *args).stdout


def run_workload(cluster: Cluster) -> Path:
    """The workload of the module docstring; returns the pg_stat_statements export."""
    cluster.run("createdb", DATABASE)
    cluster.psql("CREATE EXTENSION pg_stat_statements")
    cluster.run("pgbench", "-i", "-s", "1", "-q", DATABASE, timeout=120)
    for mode in ("simple", "extended", "prepared"):
        cluster.run("pgbench", "-M", mode, "-c", str(PGBENCH_CLIENTS), "-t", str(PGBENCH_TRANSACTIONS),
                    "-n", DATABASE, timeout=120)
    script = cluster.folder / "multi_schema.sql"
    script.write_text(MULTI_SCHEMA_SQL, encoding="utf-8")
    os.chmod(script, 0o644)
    cluster.psql(file=script, application_name=APPLICATION_NAME)
    export = cluster.folder / "pg_stat_statements.csv"
    toplevel = ", toplevel" if cluster.major_version >= 14 else ""  # statements run inside the server: PostgreSQL 14+
    cluster.psql(PG_STAT_STATEMENTS_EXPORT.format(path=export, toplevel=toplevel))
    return export


def produce_logs(folder: Path, while_running=None) -> PgLogs:
    """Init, start, run the workload, stop; raise :class:`PostgresMissing` without PostgreSQL.

    ``while_running``: called with a libpq connection string of the workload's database
    after the workload, while the server still runs (to read its live views).
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresMissing("no /usr/lib/postgresql/*/bin with initdb and pgbench (Debian package postgresql)")
    cluster = Cluster(Path(folder), bin_dir)
    cluster.init()
    cluster.start()
    live = None
    try:
        export = run_workload(cluster)
        if while_running is not None:
            live = while_running(cluster.dsn)
    finally:
        cluster.stop()
    logs = cluster.logs
    return PgLogs(
        folder=cluster.folder,
        stderr=logs / "postgresql.log",
        csvlog=logs / "postgresql.csv",
        jsonlog=logs / "postgresql.json",
        pg_stat_statements_csv=export,
        log_line_prefix=LOG_LINE_PREFIX,
        major_version=cluster.major_version,
        live=live,
    )
