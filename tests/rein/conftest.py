"""Runs the `causeway` binary for the Rein client conformance suite.

`running_causeway(extra_env=None)` starts the binary (`CAUSEWAY_BIN`, default
`target/release/causeway` under the repository root) on free loopback ports against a
PostgreSQL schema and a Redis key prefix of its own, with `extra_env` (e.g. a deposit
xpub) on top of the suite's settings, waits for the admin listener's `/readyz`, yields a
`RunningCauseway` (its base URL, and the DATABASE_URL, REDIS_URL and prefix it runs with,
so `RunningCauseway.command` runs the CLI, e.g. `causeway credit`, against the same
data), and afterwards stops the server, drops the schema and deletes the prefix's keys. A
server that does not come up, or dies while in use, fails with its log.

The `causeway` session fixture is one such server with the default settings and yields
its public base URL. The server runs with its default rate limits; each test calls from a
loopback address of its own (`own_machine`), as each person's client reaches a public
server from its own. `generated_client_package` generates a Python client from the
committed openapi/causeway.json with openapi-python-client, once per session, and imports
every module of the package `causeway_client`.
"""

import contextlib
import importlib
import os
import pkgutil
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from rein_client import new_machine

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_HOST = "127.0.0.1"
PG_PORT = "5432"
PG_USER = "postgres"
PG_DATABASE = "test"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = "6379"
READY_TIMEOUT_SECS = 30
STOP_TIMEOUT_SECS = 15
COMMAND_TIMEOUT_SECS = 60
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


def _free_port():
    """A loopback TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psql(sql):
    """Runs one statement in the `test` database; fails loudly when it can not."""
    if shutil.which("psql") is None:
        pytest.fail("psql not found: the suite needs PostgreSQL's client", pytrace=False)
    result = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", PG_DATABASE,
         "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
    )
    if result.returncode != 0:
        pytest.fail(f"psql failed on {sql!r}:\n{result.stderr}", pytrace=False)
    return result.stdout


def _delete_redis_prefix(prefix):
    """Deletes the suite's Redis keys (best effort: the prefix is unique to this run)."""
    if shutil.which("redis-cli") is None:
        return
    base = ["redis-cli", "-h", REDIS_HOST, "-p", REDIS_PORT]
    keys = subprocess.run(base + ["--scan", "--pattern", f"{prefix}*"],
                          capture_output=True, text=True, check=False).stdout.split()
    for start in range(0, len(keys), 500):
        subprocess.run(base + ["del", *keys[start:start + 500]],
                       capture_output=True, check=False)


def _server_env(database_url, redis_prefix, listen, admin_listen, extra_env=None):
    """The process environment without any outside Causeway setting, plus the suite's
    and then `extra_env`'s."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CAUSEWAY_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CAUSEWAY_REDIS_PREFIX": redis_prefix,
        "CAUSEWAY_LISTEN": listen,
        "CAUSEWAY_ADMIN_LISTEN": admin_listen,
        "CAUSEWAY_LOG_FORMAT": "text",
    })
    env.update(extra_env or {})
    return env


def _read_log(path):
    try:
        return Path(path).read_text(errors="replace")
    except OSError as err:
        return f"(no log: {err})"


def _wait_ready(process, admin, log_path):
    """Polls /readyz until it answers 200; fails with the server's log otherwise."""
    deadline = time.monotonic() + READY_TIMEOUT_SECS
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"causeway exited with status {process.returncode} before it was "
                        f"ready. Its log:\n{_read_log(log_path)}", pytrace=False)
        try:
            answer = requests.get(f"http://{admin}/readyz", timeout=1)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text}"
        except requests.RequestException as err:
            last = str(err)
        time.sleep(0.2)
    pytest.fail(f"causeway was not ready within {READY_TIMEOUT_SECS} s (last /readyz: {last}). "
                f"Its log:\n{_read_log(log_path)}", pytrace=False)


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def own_machine():
    """Each test is one person's client: it calls from a loopback address of its own."""
    return new_machine()


def _binary():
    """The causeway binary under test; fails the run when it is missing."""
    binary = Path(os.environ.get("CAUSEWAY_BIN", "target/release/causeway"))
    if not binary.is_absolute():
        binary = REPO_ROOT / binary
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is missing: build it with `cargo build --release` "
                    "(or point CAUSEWAY_BIN at a causeway binary)", pytrace=False)
    return binary


@dataclass(frozen=True)
class RunningCauseway:
    """A started server: where it listens and the settings it runs with."""

    url: str
    """Public base URL, `http://127.0.0.1:PORT`."""
    admin: str
    """The admin listener, `127.0.0.1:PORT`."""
    binary: Path
    schema: str
    database_url: str
    redis_url: str
    redis_prefix: str
    env: dict
    """The server's whole environment (DATABASE_URL, REDIS_URL, CAUSEWAY_* included)."""

    def command(self, *args):
        """Runs `causeway ARGS...` (e.g. `credit ADDRESS SATS --memo M`) with the server's
        environment, so it works on the same database and Redis prefix; returns the
        completed process (stdout carries the command's output, stderr its log)."""
        return subprocess.run([str(self.binary), *args], cwd=REPO_ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=self.env, timeout=COMMAND_TIMEOUT_SECS, check=False)


@contextlib.contextmanager
def running_causeway(extra_env=None):
    """Starts a Causeway on a fresh schema and Redis prefix; yields a `RunningCauseway`.

    `extra_env` is added to the server's environment over the suite's own settings. On
    exit the server is stopped, the schema dropped and the prefix's keys deleted; a server
    that died meanwhile fails the caller with its log.
    """
    binary = _binary()
    run = uuid.uuid4().hex
    schema = f"rein_{run}"
    redis_prefix = f"causeway-rein:{run}:"
    database_url = (f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
                    f"?options=-csearch_path%3D{schema}")
    listen = f"127.0.0.1:{_free_port()}"
    admin = f"127.0.0.1:{_free_port()}"
    env = _server_env(database_url, redis_prefix, listen, admin, extra_env)
    log = tempfile.NamedTemporaryFile(prefix="causeway-rein-", suffix=".log", delete=False)

    _psql(f'CREATE SCHEMA "{schema}"')
    process = None
    try:
        process = subprocess.Popen(
            [str(binary), "serve"], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        _wait_ready(process, admin, log.name)
        yield RunningCauseway(url=f"http://{listen}", admin=admin, binary=binary,
                              schema=schema, database_url=database_url, redis_url=REDIS_URL,
                              redis_prefix=redis_prefix, env=dict(env))
        if process.poll() is not None:
            pytest.fail(f"causeway died while in use (status {process.returncode}). "
                        f"Its log:\n{_read_log(log.name)}", pytrace=False)
    finally:
        if process is not None:
            _stop(process)
        log.close()
        _psql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        _delete_redis_prefix(redis_prefix)
        os.unlink(log.name)


@pytest.fixture(scope="session")
def causeway():
    """Base URL (`http://127.0.0.1:PORT`) of a Causeway on a fresh schema and prefix."""
    with running_causeway() as server:
        yield server.url


@pytest.fixture(scope="session")
def generated_client_package():
    """`(package, modules)`: the package `causeway_client` generated from the committed
    openapi/causeway.json, and every module of it, each imported (an import failure fails
    the test that asks for it)."""
    out = Path(tempfile.mkdtemp(prefix="causeway-client-"))
    run = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(REPO_ROOT / "openapi" / "causeway.json"),
         "--meta", "none", "--output-path", str(out / "causeway_client")],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"generation failed:\n{run.stdout}\n{run.stderr}"
    # A package of the same name imported earlier (another generation) would shadow this one.
    for name in [name for name in sys.modules
                 if name == "causeway_client" or name.startswith("causeway_client.")]:
        del sys.modules[name]
    sys.path.insert(0, str(out))
    try:
        package = importlib.import_module("causeway_client")
        modules = [importlib.import_module(info.name) for info in
                   pkgutil.walk_packages(package.__path__, "causeway_client.")]
        yield package, modules
    finally:
        sys.path.remove(str(out))
        shutil.rmtree(out, ignore_errors=True)
