"""A throwaway ClickHouse server on loopback for the tests of ``format: clickhouse``.

:func:`start_server` finds the server binary — ``$SEAMS_CLICKHOUSE_BINARY``, else
``clickhouse`` (the single binary, run as ``clickhouse server``), else ``clickhouse-server`` on
``PATH`` — writes a configuration into a temporary folder (data, logs and temporary files
there; HTTP and native ports free on 127.0.0.1; the ``default`` user without a password, from
loopback only), starts it and waits for ``/ping``. :class:`Server` runs statements over HTTP
(no client library needed to load data) and stops the process it started.

:func:`unusable` says why a server cannot serve Seams' queries: older than
:data:`MIN_VERSION` (``Map`` columns and ``DateTime64`` in the exporter's table, window
functions, grace hash joins, temporary MergeTree tables; clickhouse-connect also asks the
server for settings an old one lacks).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: the oldest ClickHouse for Seams' queries: grace hash joins (22.12), temporary MergeTree tables (23.3)
MIN_VERSION = (23, 3)

CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{root}/log/server.log</log><errorlog>{root}/log/error.log</errorlog></logger>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <users_config>{root}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>5368709120</mark_cache_size>
</yandex>
"""
USERS = """<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
"""


def server_command() -> list[str] | None:
    """How to run the server binary found on this machine (None when there is none)."""
    given = os.environ.get("SEAMS_CLICKHOUSE_BINARY")
    if given:
        return [given, "server"] if Path(given).name == "clickhouse" else [given]
    if shutil.which("clickhouse"):
        return [str(shutil.which("clickhouse")), "server"]
    if shutil.which("clickhouse-server"):
        return [str(shutil.which("clickhouse-server"))]
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen
    http_port: int
    root: Path

    def query(self, sql: str, data: bytes = b"") -> str:
        """``sql`` (with ``data`` after it, for an INSERT ... FORMAT) run over HTTP; its output."""
        body = sql.encode() + (b"\n" + data if data else b"")
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/", data=body)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(exc.read().decode()[:500]) from None

    def version(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.query("SELECT version()").strip().split(".")[:2])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(root: Path, command: list[str]) -> Server:
    for folder in ("data", "tmp", "user_files", "format_schemas", "log"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    http_port, tcp_port = _free_port(), _free_port()
    (root / "config.xml").write_text(CONFIG.format(root=root, http_port=http_port, tcp_port=tcp_port))
    (root / "users.xml").write_text(USERS)
    log = open(root / "log" / "stdout.log", "wb")  # noqa: SIM115 (kept open for the server's life)
    process = subprocess.Popen([*command, f"--config-file={root / 'config.xml'}"], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, cwd=root)
    server = Server(process, http_port, root)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the ClickHouse server stopped at once: {(root / 'log' / 'stdout.log').read_text()[-500:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ping", timeout=2) as response:
                if response.read().strip() == b"Ok.":
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError("the ClickHouse server did not answer /ping within 60 seconds")


def unusable(server: Server) -> str | None:
    """Why ``server`` cannot run Seams' queries, or None."""
    version = server.version()
    if version < MIN_VERSION:
        return (f"ClickHouse {'.'.join(map(str, version))} is older than {'.'.join(map(str, MIN_VERSION))}: no Map nor DateTime64 "
                "columns for the exporter's table, no window functions, no grace hash joins, no temporary MergeTree tables")
    return None
