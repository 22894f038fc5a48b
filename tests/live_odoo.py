"""A real Odoo server on a database of its own, for tests and benchmarks that need real processes.

Inside an HttpCase the HTTP server shares the test's transaction, so nothing there is ever
concurrent, committed or killed. Here everything is real: a scratch database with the addons
installed and committed data, `odoo` started as a subprocess (prefork workers and a cron worker,
or threaded), the Stripe simulator as another subprocess driven over its `/_simulator/` control
routes, JSON-RPC over HTTP as the browser speaks it, and SQL to look at what was committed.

    with LiveOdoo(workers=2, cron_threads=1) as live:    # install, start, stop and drop
        shop = live.new_shop()                           # a fresh Stripe account, readers...
        invoice = shop.invoice(40.0)
        payment = shop.collect([invoice])                # Register Payment > Collect, over RPC
        shop.present_card(shop.readers[0])               # the customer taps a card
        shop.wait_payment(payment, lambda s: s["done"])  # the overlay's refresh
        shop.check()                                     # the invariants, on Odoo and Stripe

Everything listens on loopback. Processes started here are stopped here, by their own id.
"""

import contextlib
import hashlib
import hmac
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg2
import psycopg2.extras
import requests
import stripe

REPO = Path(__file__).resolve().parent.parent
API_VERSION = "2026-10-28.endive"
ADMIN_PASSWORD = "admin"
USER_PASSWORD = "live-password-1"
FINAL_STATES = ("done", "canceled")
FOLLOWED_STATES = ("draft", "pending", "declined", "error")
US_ADDRESS = {
    "country": "US",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "state": "CA",
}


def _dev_tool():
    """tools/dev.py as a module (stdlib only): the addon list and the local PostgreSQL."""
    spec = importlib.util.spec_from_file_location("stripe_terminal_dev", REPO / "tools" / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def booked_payment_states():
    """States of a posted account.payment on the series under test (as in the addons' compat
    module, which this process cannot import: Odoo runs in the server)."""
    return ("in_process", "paid") if float(_dev_tool().SERIES) >= 18 else ("posted",)


def booked_state_sql():
    """The SQL of an account.payment's state: its own column from 18.0, its journal entry's
    before (17.0's account.payment has no state of its own)."""
    return "pay.state" if float(_dev_tool().SERIES) >= 18 else "move.state"


def user_groups_field():
    """res.users' groups field on the series under test: group_ids from 19.0, groups_id before
    (compat.USER_GROUPS_FIELD in the addons)."""
    return "group_ids" if float(_dev_tool().SERIES) >= 19 else "groups_id"


def model_classes_of(addon):
    """The model classes `addon` defines, as Odoo registers them: 19.0 renamed the ORM's
    table to MetaModel._module_to_models__ (module_to_models before)."""
    from odoo.models import MetaModel

    table = getattr(MetaModel, "_module_to_models__", None)
    if table is None:
        table = MetaModel.module_to_models
    return table.get(addon, [])


def is_model_method(method):
    """Whether `method` is decorated @api.model (its records do not matter): 19.0 marks it
    with `_api_model`, 17.0 and 18.0 with `_api`."""
    return bool(getattr(method, "_api_model", False)) or getattr(method, "_api", None) in (
        "model",
        "model_create",
    )


def project_addons():
    """The addons the project installs (LIVE_ODOO_ADDONS=a,b narrows them for a quick loop)."""
    if os.environ.get("LIVE_ODOO_ADDONS"):
        return [a for a in os.environ["LIVE_ODOO_ADDONS"].split(",") if a]
    return [a for a in _dev_tool().ADDONS if (REPO / a / "__manifest__.py").is_file()]


def postgres_params():
    """Connection parameters: Odoo's configuration when it is loaded (inside pytest-odoo),
    else the local cluster of tools/dev.py (started if needed)."""
    try:
        from odoo.tools import config

        if config.get("db_port") or config.get("db_host"):
            return {
                key: config.get(key) for key in ("db_host", "db_port", "db_user", "db_password")
            }
    except ImportError:  # pragma: no cover - the benchmark runs without Odoo configured
        pass
    return dict(_dev_tool().Postgres().ensure().params)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=20.0, interval=0.1, message="condition"):
    """Return `predicate()` once it is true; AssertionError after `timeout` seconds. Each round
    waits on an Event, so the wait is always bounded by the deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}")
        pause.wait(interval)


# --------------------------------------------------------------------------- PostgreSQL


class Database:
    """A PostgreSQL database reached with Odoo's parameters; SQL helpers for checks."""

    def __init__(self, params, name):
        self.params = params
        self.name = name
        self._conn = None
        self._lock = threading.Lock()

    def connect(self, dbname=None, autocommit=True):
        kwargs = {"dbname": dbname or self.name, "application_name": "stripe-terminal-live-test"}
        host, port = self.params.get("db_host"), self.params.get("db_port")
        user, password = self.params.get("db_user"), self.params.get("db_password")
        if host and host != "False":
            kwargs["host"] = host
        if port and str(port) != "False":
            kwargs["port"] = int(port)
        if user and user != "False":
            kwargs["user"] = user
        if password and password != "False":
            kwargs["password"] = password
        conn = psycopg2.connect(**kwargs)
        conn.autocommit = autocommit
        return conn

    def query(self, sql, params=None):
        """Rows as dicts, read with a connection of its own (autocommit: the latest commits)."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self.connect()
            with self._conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cr:
                cr.execute(sql, params)
                return [dict(row) for row in cr.fetchall()] if cr.description else []

    def value(self, sql, params=None):
        rows = self.query(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def execute(self, sql, params=None):
        self.query(sql, params)

    @contextlib.contextmanager
    def row_locked(self, table, row_id):
        """Hold `SELECT ... FOR UPDATE` on one row until the block ends (another transaction
        that writes it waits meanwhile)."""
        conn = self.connect(autocommit=False)
        try:
            with conn.cursor() as cr:
                cr.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", (row_id,))
            yield conn
        finally:
            conn.rollback()
            conn.close()

    def close(self):
        if self._conn is not None and not self._conn.closed:
            self._conn.close()

    def exists(self):
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.name,))
                return bool(cr.fetchone())
        finally:
            conn.close()

    def create_from(self, template):
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cr:
                cr.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}"')
        finally:
            conn.close()

    def drop(self):
        self.close()
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cr:
                cr.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            conn.close()


# --------------------------------------------------------------------------- the simulator


class SimulatorError(Exception):
    pass


class SimulatorProcess:
    """The Stripe simulator in a process of its own, driven over `/_simulator/` (the same
    calls as the in-process control API)."""

    def __init__(self, workdir, latency_ms=0):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.latency_ms = latency_ms
        self.process = None
        self.http = requests.Session()
        self.http.trust_env = False

    def start(self):
        log = open(self.workdir / "simulator.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.stripe_simulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--latency-ms",
                str(self.latency_ms),
                "--log-level",
                "WARNING",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def healthy():
            if self.process.poll() is not None:
                raise SimulatorError(f"the simulator exited: see {self.workdir}/simulator.log")
            try:
                return self.http.get(f"{self.url}/_simulator/health", timeout=2).ok
            except requests.ConnectionError:
                return False

        wait_until(healthy, timeout=30, message="the simulator")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.http.close()

    def control(self, method, route, body=None, params=None, timeout=30):
        response = self.http.request(
            method,
            f"{self.url}/_simulator/{route}",
            data=json.dumps(body) if body is not None else None,
            params=params,
            headers={"Content-Type": "application/json"},
            timeout=timeout,
        )
        payload = response.json()
        if response.status_code != 200:
            raise SimulatorError(f"{method} {route}: {response.status_code} {payload}")
        return payload["result"]

    # The control API, by name.
    def configure_account(self, api_key, **values):
        return self.control("POST", "accounts/configure", dict(values, api_key=api_key))

    def account_objects(self, api_key, kind):
        return self.control("GET", "objects", params={"api_key": api_key, "kind": kind})

    def present_payment_method(self, reader_id, **values):
        return self.control("POST", f"readers/{reader_id}/present_payment_method", values)

    def set_reader_online(self, reader_id, online):
        return self.control("POST", f"readers/{reader_id}/online", {"online": online})

    def set_reader_reported_status(self, reader_id, status):
        return self.control("POST", f"readers/{reader_id}/reported_status", {"status": status})

    def set_reader_software(self, reader_id, version):
        return self.control("POST", f"readers/{reader_id}/software", {"version": version})

    def time_out_next_reader_action(self, reader_id):
        return self.control("POST", f"readers/{reader_id}/time_out_next_action", {})

    def hold_reader_busy(self, reader_id, count=1):
        return self.control("POST", f"readers/{reader_id}/hold_busy", {"count": count})

    def advance_idempotency_clock(self, seconds):
        return self.control("POST", "idempotency/advance", {"seconds": seconds})

    def expire_reader_action(self, reader_id):
        return self.control("POST", f"readers/{reader_id}/expire_action", {})

    def customer_cancel(self, reader_id):
        return self.control("POST", f"readers/{reader_id}/customer_cancel", {})

    def inject_fault(self, kind, count=1, path=None, method=None, after_apply=False, **extra):
        body = dict(kind=kind, count=count, path=path, method=method, after_apply=after_apply)
        return self.control("POST", "faults", dict(body, **extra))

    def pending_faults(self):
        return self.control("GET", "faults")

    def clear_faults(self):
        return self.control("DELETE", "faults")

    def set_latency(self, ms):
        return self.control("POST", "latency", {"ms": ms})

    def set_webhook_mode(self, mode):
        return self.control("POST", "webhooks/mode", {"mode": mode})

    def flush_webhooks(self):
        return self.control("POST", "webhooks/flush", {})

    def discard_held_webhooks(self):
        return self.control("POST", "webhooks/discard", {})

    def wait_for_webhooks(self, timeout=20):
        return self.control("POST", "webhooks/wait", {"timeout": timeout}, timeout=timeout + 10)

    def webhook_deliveries(self):
        return self.control("GET", "webhooks/deliveries")

    def requests_log(self, api_key):
        return self.control("GET", "requests", params={"api_key": api_key})


# --------------------------------------------------------------------------- JSON-RPC


class RpcError(Exception):
    """An error answered by Odoo to a JSON-RPC call: `name` is the exception's class path."""

    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message") or error.get("message", "")
        self.error = error
        super().__init__(f"{self.name}: {self.message}")


class RpcSession:
    """A browser's session on the live server: cookies, JSON-RPC, call_kw. `recorder` (a list)
    receives every answer's text, for checks on what reaches the browser."""

    def __init__(self, url, database, recorder=None):
        self.url = url
        self.database = database
        self.recorder = recorder
        self.http = requests.Session()
        self.http.trust_env = False
        self.uid = None
        self.login = None
        self._ids = iter(range(1, 10**9))

    def authenticate(self, login, password):
        result = self.jsonrpc(
            "/web/session/authenticate",
            {"db": self.database, "login": login, "password": password},
        )
        self.uid = result["uid"]
        self.login = login
        if not self.uid:
            raise RpcError({"data": {"name": "AccessDenied", "message": login}})
        return self

    def _record(self, text):
        if self.recorder is not None:
            self.recorder.append(text)

    def jsonrpc(self, path, params, timeout=120):
        response = self.http.post(
            f"{self.url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": params},
            timeout=timeout,
        )
        self._record(response.text)
        response.raise_for_status()
        payload = response.json()
        if "error" in payload:
            raise RpcError(payload["error"])
        return payload.get("result")

    def call(self, model, method, *args, context=None, **kwargs):
        kwargs = dict(kwargs)
        kwargs["context"] = dict({"lang": "en_US", "tz": "UTC"}, **(context or {}))
        return self.jsonrpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def get(self, path, **kwargs):
        response = self.http.get(f"{self.url}{path}", timeout=60, **kwargs)
        self._record(response.text)
        return response

    def post(self, path, **kwargs):
        response = self.http.post(f"{self.url}{path}", timeout=60, **kwargs)
        self._record(response.text)
        return response

    def close(self):
        self.http.close()


# --------------------------------------------------------------------------- Odoo


class OdooServer:
    """`odoo` as a subprocess on one database: prefork (`workers` > 0, plus cron workers) or
    threaded (`workers=0`)."""

    def __init__(self, config, database, workdir, workers=2, cron_threads=1, extra_args=()):
        self.config = config
        self.database = database
        self.workdir = Path(workdir)
        self.workers = workers
        self.cron_threads = cron_threads
        self.extra_args = list(extra_args)
        self.port = None
        self.process = None
        self.log_path = self.workdir / f"odoo-{database}.log"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=180):
        self.port = free_port()
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,  # this module is the server's launcher: see serve() at the end
                "-c",
                str(self.config),
                "-d",
                self.database,
                f"--db-filter=^{self.database}$",
                "--http-interface=127.0.0.1",
                f"--http-port={self.port}",
                f"--gevent-port={free_port()}",
                f"--workers={self.workers}",
                f"--max-cron-threads={self.cron_threads}",
                *self.extra_args,
            ],
            cwd=REPO,
            env=dict(os.environ, TZ="UTC"),  # as odoo-bin does: Odoo's clock is UTC
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        http = requests.Session()
        http.trust_env = False

        def healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited ({self.process.returncode}): {self.log_path}")
            try:
                return http.get(f"{self.url}/web/health", timeout=5).ok
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=timeout, interval=0.2, message="Odoo to answer")
        # Prefork workers answer /web/health before the registry is loaded: ask for a page that
        # needs it, so the first test does not pay for the loading.
        wait_until(
            lambda: http.get(f"{self.url}/web/login", timeout=60).ok,
            timeout=timeout,
            message="the registry",
        )
        http.close()
        return self

    def worker_pids(self):
        """Live HTTP and cron worker processes of this server (prefork)."""
        if not self.process or self.process.poll() is not None:
            return set()
        return {child.pid for child in psutil.Process(self.process.pid).children()}

    def workers_serving(self, client_pid):
        """The workers holding an open HTTP connection from the process `client_pid` (the one
        that handles a request of that client right now)."""
        client_ports = {
            conn.laddr.port
            for conn in psutil.Process(client_pid).connections("tcp")
            if conn.raddr and conn.raddr.port == self.port
        }
        serving = set()
        for pid in self.worker_pids():
            with contextlib.suppress(psutil.NoSuchProcess):
                for conn in psutil.Process(pid).connections("tcp"):
                    if (
                        conn.status == psutil.CONN_ESTABLISHED
                        and conn.laddr.port == self.port
                        and conn.raddr
                        and conn.raddr.port in client_ports
                    ):
                        serving.add(pid)
        return serving

    def kill_worker(self, pid):
        """SIGKILL one of this server's workers (never any other process)."""
        if pid not in self.worker_pids():
            raise ValueError(f"{pid} is not a worker of this Odoo server")
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: pid not in self.worker_pids(), timeout=10, message="the worker's end")

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""

    def stop(self):
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # The server's own process group (start_new_session): the master and its workers.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class LiveOdoo:
    """A scratch database with the addons installed, an Odoo server on it, the simulator, an
    administrator's session and the shared fixtures (company, journals, users).

    Set LIVE_ODOO_KEEP=1 to keep the database and the work directory (logs) afterwards, and
    LIVE_ODOO_DB=<name> to reuse a database kept that way (a quicker developer loop).
    """

    def __init__(
        self,
        workers=2,
        cron_threads=1,
        addons=None,
        database=None,
        latency_ms=0,
        log_handlers=(),
        params=None,
        simulator=None,
    ):
        self.params = params or postgres_params()
        self.addons = addons or project_addons()
        self.name = (
            database
            or os.environ.get("LIVE_ODOO_DB")
            or f"stripe_terminal_live_{secrets.token_hex(4)}"
        )
        self.workers = workers
        self.cron_threads = cron_threads
        self.latency_ms = latency_ms
        self.log_handlers = list(log_handlers)
        self.workdir = Path(tempfile.mkdtemp(prefix="stripe_terminal_live_"))
        self.db = Database(self.params, self.name)
        self.config = self._write_config()
        self.simulator = simulator  # given: shared with others, not stopped here
        self._own_simulator = simulator is None
        self.server = None
        self.admin = None
        self.responses = []  # every answer a session with recording got
        self.env = {}  # ids of the shared fixtures
        self._started = False
        self._created = False

    # === Lifecycle === #

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _write_config(self):
        values = {
            "db_host": self.params.get("db_host") or False,
            "db_port": self.params.get("db_port") or False,
            "db_user": self.params.get("db_user") or False,
            "db_password": self.params.get("db_password") or False,
            "admin_passwd": ADMIN_PASSWORD,
            "data_dir": str(self.workdir / "data"),
            "list_db": False,
            "without_demo": "True",
            "http_interface": "127.0.0.1",
            "limit_time_cpu": 600,
            "limit_time_real": 1200,
            "db_maxconn": 64,
        }
        if values["db_password"] is False:
            del values["db_password"]  # 19.0 warns about "False" for a non-boolean option
        path = self.workdir / "odoo.conf"
        lines = ["[options]"] + [f"{key} = {value}" for key, value in values.items()]
        path.write_text("\n".join(lines) + "\n")
        return path

    def install(self, database=None):
        """Create `database` (this one by default) with the addons, without demo data."""
        database = database or self.name
        logfile = self.workdir / f"install-{database}.log"
        with open(logfile, "wb") as out:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "odoo",
                    "-c",
                    str(self.config),
                    "-d",
                    database,
                    "-i",
                    ",".join(self.addons),
                    "--stop-after-init",
                    "--log-level=warn",
                ],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        text = logfile.read_text(errors="replace")
        problems = [
            line
            for line in text.splitlines()
            if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
        ]
        if result.returncode or problems:
            raise RuntimeError(
                f"installing {', '.join(self.addons)} failed ({logfile}):\n" + "\n".join(problems)
            )

    def start(self):
        if self._own_simulator:
            self.simulator = SimulatorProcess(self.workdir, self.latency_ms).start()
        if not self.db.exists():
            self.install()
            self._created = True
        self.start_server()
        self._started = True
        self.admin = self.session("admin", ADMIN_PASSWORD)
        self._setup_shared()
        return self

    def start_server(self):
        handlers = [f"--log-handler={handler}" for handler in self.log_handlers]
        self.server = OdooServer(
            self.config,
            self.name,
            self.workdir,
            workers=self.workers,
            cron_threads=self.cron_threads,
            extra_args=["--log-level=info", *handlers],
        ).start()
        return self.server

    def restart_server(self):
        self.server.stop()
        return self.start_server()

    def close(self):
        for part in (self.server, self.simulator if self._own_simulator else None):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        self.db.close()
        if os.environ.get("LIVE_ODOO_KEEP"):
            return
        if self._created:
            with contextlib.suppress(Exception):
                self.db.drop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def url(self):
        return self.server.url

    def session_anonymous(self):
        return RpcSession(self.url, self.name)

    def session(self, login, password=USER_PASSWORD, record=False):
        session = RpcSession(self.url, self.name, recorder=self.responses if record else None)
        return session.authenticate(login, password)

    # === What every shop shares === #

    def xmlid(self, xmlid):
        module, name = xmlid.split(".")
        rows = self.admin.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        return rows[0]["res_id"]

    def _setup_shared(self):
        admin = self.admin
        env = self.env
        env["company"] = admin.call("res.users", "read", [admin.uid], ["company_id"])[0][
            "company_id"
        ][0]
        env["us"] = admin.call("res.country", "search", [("code", "=", "US")])[0]
        admin.call("res.company", "write", [env["company"]], {"country_id": env["us"]})
        env["usd"] = admin.call("res.currency", "search", [("name", "=", "USD")])[0]
        admin.call(
            "ir.config_parameter", "set_param", "stripe_terminal.api_base", self.simulator.url
        )
        admin.call("ir.config_parameter", "set_param", "web.base.url", self.url)
        admin.call("ir.config_parameter", "set_param", "web.base.url.freeze", "True")
        env["provider"] = admin.call(
            "payment.provider",
            "search",
            [("code", "=", "stripe"), ("company_id", "=", env["company"])],
            limit=1,
        )[0]
        self.use_stripe_account(self.new_stripe_account())
        env["journal"] = self._find_or_create(
            "account.journal",
            [("code", "=", "STRP")],
            {"name": "Stripe", "code": "STRP", "type": "bank", "is_stripe_journal": True},
        )
        env["bank_journal"] = admin.call(
            "account.journal", "search", [("type", "=", "bank"), ("code", "!=", "STRP")], limit=1
        )[0]
        # Within the company by the record rules (account.account has company_id until 17,
        # company_ids from 18).
        env["income_account"] = admin.call(
            "account.account",
            "search",
            [("account_type", "=", "income")],
            limit=1,
            context={"allowed_company_ids": [env["company"]]},
        )[0]
        groups = {
            "user": self.xmlid("base.group_user"),
            "portal": self.xmlid("base.group_portal"),
            "invoice": self.xmlid("account.group_account_invoice"),
            "manager": self.xmlid("account.group_account_manager"),
        }
        env["groups"] = groups
        for login, group_names in (
            ("live_accountant", ("user", "invoice")),
            ("live_accountant2", ("user", "invoice")),
            ("live_manager", ("user", "manager")),
            ("live_employee", ("user",)),
            ("live_portal", ("portal",)),
        ):
            env[login] = self.create_user(login, [groups[name] for name in group_names])
        env["sweep_cron"] = self.xmlid("stripe_terminal_account.ir_cron_stripe_terminal_sweep")

    def _find_or_create(self, model, domain, values):
        found = self.admin.call(model, "search", domain, limit=1)
        return found[0] if found else self.admin.call(model, "create", values)

    def create_user(self, login, group_ids):
        return self._find_or_create(
            "res.users",
            [("login", "=", login)],
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": USER_PASSWORD,
                "email": f"{login}@example.com",
                "company_id": self.env["company"],
                "company_ids": [(6, 0, [self.env["company"]])],
                user_groups_field(): [(6, 0, group_ids)],
            },
        )

    def new_stripe_account(self):
        """A brand-new simulator account whose webhooks reach this server."""
        account = {
            "secret_key": "sk_test_" + secrets.token_hex(16),
            "webhook_secret": "whsec_" + secrets.token_hex(16),
        }
        self.simulator.configure_account(
            account["secret_key"],
            webhook_url=f"{self.url}/stripe_terminal/webhook",
            webhook_secret=account["webhook_secret"],
        )
        return account

    def use_stripe_account(self, account, provider=None):
        self.admin.call(
            "payment.provider",
            "write",
            [provider or self.env["provider"]],
            {
                "state": "test",
                "stripe_publishable_key": "pk_test_" + account["secret_key"][8:],
                "stripe_secret_key": account["secret_key"],
                "stripe_terminal_webhook_secret": account["webhook_secret"],
            },
        )

    def forget_leftovers(self):
        """Payments a failed test (or an earlier session on a kept database) left in progress
        belong to another Stripe account: the sweep would ask the next test's account about
        them. Take them out of the way (test hygiene, not something Odoo would do)."""
        self.db.execute(
            "UPDATE stripe_terminal_payment SET state = 'canceled' WHERE state = ANY(%s)",
            (list(FOLLOWED_STATES),),
        )

    def new_shop(self, readers=2):
        return Shop(self, readers=readers)

    # === Running the cron === #

    def has_refunds(self):
        return "stripe_terminal_refund" in self.addons

    def run_sweep(self, timeout=60):
        """Run the sweep now, as the cron worker would (it may be running it already: then
        wait for it to finish and run it again)."""
        self.run_cron(self.env["sweep_cron"], timeout=timeout)

    def run_cron(self, cron_id, timeout=60):
        """Run a scheduled action now (waiting for the cron worker if it runs it already)."""

        def attempt():
            try:
                self.admin.call("ir.cron", "method_direct_trigger", [cron_id])
                return True
            except RpcError as error:
                if "currently being executed" in error.message or "could not obtain" in str(
                    error.message
                ):
                    return False
                raise

        wait_until(attempt, timeout=timeout, interval=0.3, message=f"cron {cron_id} to run")

    def backend_waiting_on_lock(self, timeout=30):
        """The database sessions of Odoo waiting on a lock (at least one, within `timeout`)."""

        def find():
            rows = self.db.query(
                """
                SELECT pid FROM pg_stat_activity
                WHERE datname = %s AND wait_event_type = 'Lock'
                  AND application_name LIKE 'odoo-%%'
                """,
                (self.name,),
            )
            return [row["pid"] for row in rows]

        return wait_until(find, timeout=timeout, message="an Odoo worker waiting on a lock")

    def kill_worker_serving(self, client_pid):
        """Kill the worker that handles the request of `client_pid` now (there must be one)."""
        serving = wait_until(
            lambda: self.server.workers_serving(client_pid),
            timeout=10,
            message="the worker serving the request",
        )
        assert len(serving) == 1, serving
        pid = serving.pop()
        self.server.kill_worker(pid)
        return pid


# --------------------------------------------------------------------------- a shop


class Shop:
    """One test's world on the live server: a fresh Stripe account on the company's provider,
    a location and readers, a customer, and the invoices and payments made with them. `check()`
    asserts what must hold whatever went wrong."""

    def __init__(self, live, readers=2):
        self.live = live
        self.sim = live.simulator
        self.admin = live.admin
        self.env = live.env
        live.forget_leftovers()
        self.account = live.new_stripe_account()
        self.secret_key = self.account["secret_key"]
        self.webhook_secret = self.account["webhook_secret"]
        live.use_stripe_account(self.account)
        self.provider = self.env["provider"]
        self.stripe = stripe.StripeClient(
            self.secret_key,
            base_addresses={"api": self.sim.url},
            stripe_version=API_VERSION,
            max_network_retries=0,
        )
        self.location = self.stripe.v1.terminal.locations.create(
            {"display_name": "Live store", "address": US_ADDRESS}
        ).id
        self.invoices = []
        self.credit_notes = []
        self.readers = self.add_readers(readers)
        self.customer = self.partner()
        self._sessions = {}

    # === Setup === #

    def add_readers(self, count, registration_code="simulated-wpe"):
        """Register `count` readers on Stripe and import them (the provider's Sync)."""
        stripe_ids = [
            self.stripe.v1.terminal.readers.create(
                {
                    "registration_code": registration_code,
                    "label": f"Till {secrets.token_hex(2)}",
                    "location": self.location,
                }
            ).id
            for _ in range(count)
        ]
        self.admin.call("payment.provider", "action_stripe_terminal_sync", [self.provider])
        rows = self.admin.call(
            "stripe.terminal.reader",
            "search_read",
            [("stripe_reader_id", "in", stripe_ids)],
            ["stripe_reader_id"],
        )
        by_stripe_id = {row["stripe_reader_id"]: row["id"] for row in rows}
        return [{"id": by_stripe_id[sid], "stripe_id": sid} for sid in stripe_ids]

    def partner(self, name=None):
        return self.admin.call(
            "res.partner",
            "create",
            {
                "name": name or f"Live Customer {secrets.token_hex(3)}",
                "email": f"customer-{secrets.token_hex(3)}@example.com",
            },
        )

    def session(self, login="live_accountant", record=False):
        key = (login, record)
        if key not in self._sessions:
            password = ADMIN_PASSWORD if login == "admin" else USER_PASSWORD
            self._sessions[key] = self.live.session(login, password, record=record)
        return self._sessions[key]

    def invoice(self, amount=40.0, partner=None, currency=None, move_type="out_invoice", post=True):
        return self.invoices_batch(
            [amount], partner=partner, currency=currency, move_type=move_type, post=post
        )[0]

    def invoices_batch(
        self, amounts, partner=None, currency=None, move_type="out_invoice", post=True
    ):
        values = [
            {
                "move_type": move_type,
                "invoice_date": time.strftime("%Y-%m-%d"),
                "partner_id": partner or self.customer,
                "currency_id": currency or self.env["usd"],
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Goods",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(5, 0, 0)],
                            "account_id": self.env["income_account"],
                        },
                    )
                ],
            }
            for amount in amounts
        ]
        ids = self.admin.call("account.move", "create", values)
        if post:
            self.admin.call("account.move", "action_post", ids)
        self.invoices.extend(ids)
        return ids

    # === The accountant's side === #

    def wizard(self, invoice_ids, session=None, **values):
        """Register Payment on `invoice_ids` with the Stripe journal (the wizard's id)."""
        session = session or self.session()
        values.setdefault("journal_id", self.env["journal"])
        values.setdefault("stripe_terminal_reader_id", self.readers[0]["id"])
        context = {"active_model": "account.move", "active_ids": list(invoice_ids)}
        return session.call("account.payment.register", "create", values, context=context)

    def collect(self, invoice_ids, session=None, **values):
        """Register Payment > Collect; returns the terminal payment's id."""
        session = session or self.session()
        wizard_id = self.wizard(invoice_ids, session=session, **values)
        context = {"active_model": "account.move", "active_ids": list(invoice_ids)}
        action = session.call(
            "account.payment.register",
            "action_stripe_terminal_collect",
            [wizard_id],
            context=context,
        )
        assert action["tag"] == "stripe_terminal_overlay", action
        return action["params"]["payment_id"]

    def overlay(self, payment_id, method="action_stripe_terminal_poll", session=None):
        """One call of the overlay (poll, state, retry, cancel); returns what it shows."""
        return (session or self.session()).call("stripe.terminal.payment", method, [payment_id])

    def wait_payment(self, payment_id, predicate, timeout=30, session=None, message=None):
        """Refresh as the overlay does until `predicate(state)`; returns the state. A refresh
        that fails is retried on the next round, as the overlay does."""
        holder = {}

        def check():
            try:
                holder["state"] = self.overlay(payment_id, session=session)
            except RpcError as error:
                holder["state"] = {"error": str(error)}
                return False
            return predicate(holder["state"])

        wait_until(
            check,
            timeout=timeout,
            interval=0.5,
            message=message or f"payment {payment_id}: {holder.get('state')}",
        )
        return holder["state"]

    def payment(self, payment_id):
        rows = self.live.db.query(
            "SELECT * FROM stripe_terminal_payment WHERE id = %s", (payment_id,)
        )
        return rows[0]

    def wait_db_state(self, payment_id, states, timeout=30):
        states = (states,) if isinstance(states, str) else tuple(states)
        wait_until(
            lambda: self.payment(payment_id)["state"] in states,
            timeout=timeout,
            message=f"payment {payment_id} in {states}",
        )
        return self.payment(payment_id)

    def sweep_until(self, payment_id, states, timeout=60, abandoned=False):
        """Run the sweep (as often as needed: a payment locked by another worker is left for the
        next round) until the payment is in one of `states`."""
        states = (states,) if isinstance(states, str) else tuple(states)

        def swept():
            self.sweep([payment_id], abandoned=abandoned)
            return self.payment(payment_id)["state"] in states

        wait_until(swept, timeout=timeout, interval=0.5, message=f"the sweep to reach {states}")
        return self.payment(payment_id)

    def sweep(self, payment_ids=None, abandoned=False):
        """Make the payments look old to the sweep (their last check long ago; created more than
        half an hour ago when `abandoned`), then run the sweep."""
        ids = list(payment_ids or self.payment_ids())
        if ids:
            self.live.db.execute(
                """
                UPDATE stripe_terminal_payment
                SET last_stripe_check = (now() at time zone 'utc') - interval '10 minutes'
                WHERE id = ANY(%s) AND last_stripe_check IS NOT NULL
                """,
                (ids,),
            )
            if abandoned:
                self.live.db.execute(
                    """
                    UPDATE stripe_terminal_payment
                    SET create_date = (now() at time zone 'utc') - interval '2 hours'
                    WHERE id = ANY(%s)
                    """,
                    (ids,),
                )
        self.live.run_sweep()

    # === Refunds to the card (stripe_terminal_refund) === #

    def credit_note(self, invoice_id, amount=None):
        """A posted customer credit note reversing `invoice_id` (its whole amount by default)."""
        invoice = self.admin.call(
            "account.move", "read", [invoice_id], ["partner_id", "currency_id", "amount_total"]
        )[0]
        credit_note = self.admin.call(
            "account.move",
            "create",
            {
                "move_type": "out_refund",
                "partner_id": invoice["partner_id"][0],
                "currency_id": invoice["currency_id"][0],
                "reversed_entry_id": invoice_id,
                "invoice_date": time.strftime("%Y-%m-%d"),
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Goods returned",
                            "quantity": 1,
                            "price_unit": amount or invoice["amount_total"],
                            "tax_ids": [(5, 0, 0)],
                            "account_id": self.env["income_account"],
                        },
                    )
                ],
            },
        )
        self.admin.call("account.move", "action_post", [credit_note])
        self.credit_notes.append(credit_note)
        return credit_note

    def refund(self, credit_note_id, session=None, **values):
        """Refund to Card on the credit note, confirmed; returns the wizard's answer."""
        session = session or self.session()
        action = session.call("account.move", "action_stripe_terminal_refund", [credit_note_id])
        context = action["context"]
        wizard = session.call(action["res_model"], "create", values, context=context)
        return session.call(action["res_model"], "action_confirm", [wizard], context=context)

    def refunds(self):
        return self.live.db.query(
            """
            SELECT id, name, state, stripe_refund_id, amount_minor, account_payment_id,
                   terminal_payment_id, credit_note_id
            FROM stripe_terminal_refund WHERE terminal_payment_id = ANY(%s) ORDER BY id
            """,
            (self.payment_ids(),),
        )

    def refund_sweep_until(self, refund_id, states, timeout=60):
        """Make the refund look half an hour old and run the refunds' sweep until it is in one
        of `states`."""
        states = (states,) if isinstance(states, str) else tuple(states)
        cron = self.live.xmlid("stripe_terminal_refund.ir_cron_stripe_terminal_refund_check")

        def swept():
            self.live.db.execute(
                """
                UPDATE stripe_terminal_refund
                SET create_date = (now() at time zone 'utc') - interval '30 minutes',
                    write_date = (now() at time zone 'utc') - interval '30 minutes'
                WHERE id = %s
                """,
                (refund_id,),
            )
            self.live.run_cron(cron)
            state = self.live.db.value(
                "SELECT state FROM stripe_terminal_refund WHERE id = %s", (refund_id,)
            )
            return state in states

        wait_until(swept, timeout=timeout, interval=0.5, message=f"the refund sweep: {states}")

    # === The customer's and Stripe's side === #

    def present_card(self, reader, number="4242424242424242"):
        return self.sim.present_payment_method(reader["stripe_id"], number=number)

    def stripe_requests(self):
        return self.sim.requests_log(self.secret_key)

    def stripe_objects(self, kind):
        return self.sim.account_objects(self.secret_key, kind)

    def events(self, event_type=None, intent_id=None):
        events = self.stripe_objects("event")
        if event_type:
            events = [e for e in events if e["type"] == event_type]
        if intent_id:
            events = [e for e in events if _event_intent(e) == intent_id]
        return events

    def post_webhook(self, payload, secret=None, timestamp=None, signature=None):
        """POST `payload` (bytes) to the webhook route as Stripe would: signed with the
        account's secret now, unless told otherwise. Returns the response."""
        return post_webhook(
            self.live.url, payload, secret or self.webhook_secret, timestamp, signature
        )

    # === The invariants === #

    def payment_ids(self):
        reader_ids = [reader["id"] for reader in self.readers]
        rows = self.live.db.query(
            "SELECT id FROM stripe_terminal_payment WHERE reader_id = ANY(%s) ORDER BY id",
            (reader_ids,),
        )
        return [row["id"] for row in rows]

    def settle_webhooks(self, timeout=30):
        """Release held deliveries and wait until Odoo answered every one."""
        self.sim.flush_webhooks()
        self.sim.wait_for_webhooks(timeout=timeout)

    def check(self, other_payments=None):
        """What must hold after anything: every invoice paid once or not at all, every terminal
        payment in a final state that tells the truth about Stripe, and no charge on Stripe that
        Odoo does not know. Later news (webhooks still held or on their way) changes nothing:
        they are released first. `other_payments` maps an invoice to the amount the test paid
        on it by other means. Returns {payment id: state}."""
        self.sim.clear_faults()
        self.settle_webhooks()
        states = check_invariants(
            self.live, self.secret_key, self.payment_ids(), self.invoices, other_payments or {}
        )
        if self.live.has_refunds():
            refunds = self.refunds()
            problems = refund_problems(self.live, self.secret_key, refunds)
            refunded = {r["id"] for r in refunds if r["state"] in ("pending", "succeeded")}
            problems += _invoice_problems(
                self.live.db, refunded, self.credit_notes, {}, card="stripe_terminal_refund_id"
            )
            assert not problems, "\n".join(problems)
        return states

    def close(self):
        with contextlib.suppress(Exception):
            self.sim.clear_faults()
            self.sim.set_latency(0)
            self.sim.set_webhook_mode("deliver")
            self.sim.discard_held_webhooks()
            self.sim.wait_for_webhooks(timeout=30)
        # A test that failed half-way may leave payments in progress: cancel them while the
        # provider still has this shop's keys.
        manager = self.session("live_manager")
        for payment_id in self.payment_ids():
            if self.payment(payment_id)["state"] not in FINAL_STATES:
                with contextlib.suppress(Exception):
                    self.overlay(payment_id, "action_stripe_terminal_cancel", session=manager)
        for session in self._sessions.values():
            session.close()


def sign_payload(payload, secret, timestamp=None):
    """A `Stripe-Signature` header for `payload` (bytes), computed as Stripe does."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def post_webhook(url, payload, secret, timestamp=None, signature=None):
    with requests.Session() as http:
        http.trust_env = False  # loopback, never through a proxy of the environment
        return http.post(
            f"{url}/stripe_terminal/webhook",
            data=payload,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature or sign_payload(payload, secret, timestamp),
            },
            timeout=60,
        )


def _event_intent(event):
    data_object = event["data"]["object"]
    if event["type"].startswith("terminal.reader."):
        action = data_object.get("action") or {}
        return (action.get("process_payment_intent") or {}).get("payment_intent")
    if event["type"].startswith(("charge.", "refund.")):
        return data_object.get("payment_intent")
    if event["type"].startswith("payment_intent."):
        return data_object.get("id")
    return None


def _group(rows, key):
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


class _Invariants:
    """Odoo's terminal payments, bookings and invoices against the Stripe account's objects."""

    def __init__(self, live, secret_key, payment_ids):
        db = live.db
        self.payments = db.query(
            """
            SELECT id, name, state, stage, payment_intent_id, charge_id, amount, amount_minor,
                   account_payment_id
            FROM stripe_terminal_payment WHERE id = ANY(%s) ORDER BY id
            """,
            (list(payment_ids),),
        )
        self.bookings = _group(
            db.query(
                f"""
                SELECT pay.id, pay.stripe_terminal_payment_id, {booked_state_sql()} AS state,
                       pay.amount
                FROM account_payment pay JOIN account_move move ON move.id = pay.move_id
                WHERE pay.stripe_terminal_payment_id = ANY(%s)
                """,  # noqa: S608 - a column of ours
                (list(payment_ids),),
            ),
            "stripe_terminal_payment_id",
        )
        sim = live.simulator
        self.intents = {pi["id"]: pi for pi in sim.account_objects(secret_key, "payment_intent")}
        charges = sim.account_objects(secret_key, "charge")
        self.captured = _group(
            [c for c in charges if c["status"] == "succeeded" and c.get("captured")],
            "payment_intent",
        )
        self.on_readers = set()
        for reader in sim.account_objects(secret_key, "terminal.reader"):
            action = reader.get("action") or {}
            if action.get("status") == "in_progress":
                process = action.get("process_payment_intent") or {}
                self.on_readers.add(process.get("payment_intent"))
        self.by_intent = {
            p["payment_intent_id"]: p for p in self.payments if p["payment_intent_id"]
        }

    def payment_problems(self, payment):
        ref = f"{payment['name']} (id {payment['id']})"
        state = payment["state"]
        intent_id = payment["payment_intent_id"]
        intent = self.intents.get(intent_id)
        charges = self.captured.get(intent_id, [])
        bookings = self.bookings.get(payment["id"], [])
        problems = []
        if state not in FINAL_STATES:
            problems.append(f"{ref} is still {state}/{payment['stage']}")
        if state == "done":
            if len(bookings) != 1 or bookings[0]["id"] != payment["account_payment_id"]:
                problems.append(f"{ref} is done with {len(bookings)} payments in Odoo")
            elif bookings[0]["state"] not in booked_payment_states():
                problems.append(f"{ref}: its payment is {bookings[0]['state']}")
            if not intent or intent["status"] != "succeeded":
                problems.append(f"{ref} is done but Stripe says {intent and intent['status']}")
            if len(charges) != 1:
                problems.append(f"{ref} is done with {len(charges)} charges on Stripe")
            elif charges[0]["id"] != payment["charge_id"]:
                problems.append(f"{ref} records charge {payment['charge_id']}")
            elif charges[0]["amount_captured"] != payment["amount_minor"]:
                problems.append(f"{ref}: Stripe took {charges[0]['amount_captured']}")
            return problems
        if bookings:
            problems.append(f"{ref} is {state} with {len(bookings)} payments")
        if charges:
            problems.append(f"{ref} is {state} but Stripe charged the card")
        if intent_id and (not intent or intent["status"] != "canceled"):
            problems.append(f"{ref} is {state}; Stripe: {intent and intent['status']}")
        if intent_id and intent_id in self.on_readers and intent and intent["status"] != "canceled":
            problems.append(f"{ref} is {state} but still chargeable on a reader")
        return problems

    def stripe_problems(self):
        problems = []
        for intent_id, charges in self.captured.items():
            payment = self.by_intent.get(intent_id)
            if payment is None or payment["state"] != "done":
                known = "does not know" if payment is None else f"holds as {payment['state']}"
                problems.append(f"Stripe charged {intent_id} ({len(charges)}), which Odoo {known}")
        # Intents Odoo lost track of must not be chargeable.
        for intent_id, intent in self.intents.items():
            if intent_id in self.by_intent or intent["status"] == "canceled":
                continue
            if intent_id in self.on_readers or intent["status"] != "requires_payment_method":
                problems.append(f"Stripe holds {intent_id} ({intent['status']}) unknown to Odoo")
        return problems


def check_invariants(live, secret_key, payment_ids, invoice_ids, other_payments):
    invariants = _Invariants(live, secret_key, payment_ids)
    problems = []
    for payment in invariants.payments:
        problems += invariants.payment_problems(payment)
    problems += invariants.stripe_problems()
    done = {payment["id"] for payment in invariants.payments if payment["state"] == "done"}
    problems += _invoice_problems(live.db, done, invoice_ids, other_payments)
    assert not problems, "\n".join(problems)
    return {payment["id"]: payment["state"] for payment in invariants.payments}


def refund_problems(live, secret_key, refunds):
    """Odoo's refunds against the account's: each final and true, each booked once, and no
    refund on Stripe that Odoo does not know."""
    problems = []
    stripe_refunds = live.simulator.account_objects(secret_key, "refund")
    by_odoo_id = {}
    for refund_obj in stripe_refunds:
        odoo_id = (refund_obj.get("metadata") or {}).get("odoo_refund_id")
        by_odoo_id.setdefault(odoo_id, []).append(refund_obj)
    bookings = _group(
        live.db.query(
            f"""
            SELECT pay.id, pay.stripe_terminal_refund_id, {booked_state_sql()} AS state
            FROM account_payment pay JOIN account_move move ON move.id = pay.move_id
            WHERE pay.stripe_terminal_refund_id = ANY(%s)
            """,  # noqa: S608 - a column of ours
            ([r["id"] for r in refunds],),
        ),
        "stripe_terminal_refund_id",
    )
    known = {r["stripe_refund_id"] for r in refunds if r["stripe_refund_id"]}
    for refund in refunds:
        ref = f"refund {refund['name']} (id {refund['id']})"
        state = refund["state"]
        on_stripe = by_odoo_id.get(str(refund["id"]), [])
        booked = bookings.get(refund["id"], [])
        if state in ("draft", "waiting"):
            problems.append(f"{ref} is still {state}")
        elif state in ("pending", "succeeded"):
            if len(on_stripe) != 1 or on_stripe[0]["id"] != refund["stripe_refund_id"]:
                problems.append(f"{ref} is {state} with {len(on_stripe)} refunds on Stripe")
            elif on_stripe[0]["amount"] != refund["amount_minor"]:
                problems.append(f"{ref}: Stripe refunded {on_stripe[0]['amount']}")
            if len(booked) != 1 or booked[0]["state"] not in booked_payment_states():
                problems.append(f"{ref} is {state} with {len(booked)} bookings")
        elif state in ("refused", "canceled"):
            if on_stripe:
                problems.append(f"{ref} is {state} but Stripe refunded it")
            if booked:
                problems.append(f"{ref} is {state} with {len(booked)} bookings")
    for refund_obj in stripe_refunds:
        if refund_obj["id"] not in known and refund_obj["status"] in ("succeeded", "pending"):
            problems.append(f"Stripe refunded {refund_obj['id']}, which Odoo does not know")
    return problems


def _invoice_problems(db, done_ids, invoice_ids, other_payments, card="stripe_terminal_payment_id"):
    """Invoices paid once or not at all: at most one card payment reconciled with each, only
    of a card payment (or refund: `card` names the column) in `done_ids`, nothing else than
    `other_payments` says, and Odoo's residual agrees."""
    problems = []
    if not invoice_ids:
        return problems
    invoices = db.query(
        """
        SELECT id, name, state, move_type, payment_state, amount_total, amount_residual
        FROM account_move WHERE id = ANY(%s)
        """,
        (list(invoice_ids),),
    )
    reconciled = db.query(
        f"""
        SELECT il.move_id AS invoice_id, pay.id AS payment_id, pay.{card} AS card,
               SUM(apr.amount) AS amount
        FROM account_move_line il
        JOIN account_partial_reconcile apr
             ON il.id IN (apr.debit_move_id, apr.credit_move_id)
        JOIN account_move_line pl
             ON pl.id = CASE WHEN apr.debit_move_id = il.id
                             THEN apr.credit_move_id ELSE apr.debit_move_id END
        JOIN account_payment pay ON pay.move_id = pl.move_id
        JOIN account_move pm ON pm.id = pay.move_id AND pm.state = 'posted'
        JOIN account_account acc ON acc.id = il.account_id
        WHERE il.move_id = ANY(%s) AND acc.account_type = 'asset_receivable'
        GROUP BY il.move_id, pay.id, pay.{card}
        """,  # noqa: S608 - a column name of ours
        (list(invoice_ids),),
    )
    by_invoice = _group(reconciled, "invoice_id")
    for invoice in invoices:
        rows = by_invoice.get(invoice["id"], [])
        by_card = [r for r in rows if r["card"]]
        ref = f"{invoice['move_type']} {invoice['name']} (id {invoice['id']})"
        if len(by_card) > 1:
            problems.append(f"{ref} is settled {len(by_card)} times by card")
        for row in by_card:
            if row["card"] not in done_ids:
                problems.append(f"{ref} is reconciled with {card} {row['card']}, not done")
        paid = sum(float(r["amount"]) for r in rows)
        other = sum(float(r["amount"]) for r in rows if not r["card"])
        if abs(other - other_payments.get(invoice["id"], 0.0)) > 0.001:
            problems.append(f"{ref}: unexpected payments by other means {rows}")
        residual = float(invoice["amount_total"]) - paid
        if (
            invoice["state"] == "posted"
            and abs(residual - float(invoice["amount_residual"])) > 0.001
        ):
            problems.append(f"{ref}: residual {invoice['amount_residual']}, expected {residual}")
        if paid - float(invoice["amount_total"]) > 0.001:
            problems.append(f"{ref} is settled {paid} for {invoice['amount_total']}")
        if not rows and invoice["state"] == "posted" and invoice["payment_state"] != "not_paid":
            problems.append(f"{ref} has no payment but is {invoice['payment_state']}")
    return problems


def serve():
    """`python tests/live_odoo.py <odoo arguments>`: Odoo's server, as odoo-bin starts it.

    A prefork master spawns its websocket worker by running sys.argv[0] again with `gevent`
    first; that worker cannot start in this virtualenv (gevent's plugins need zope.interface,
    which Odoo's requirements do not install) and the master would start it again every
    second, burning a core. Nothing here needs the websocket (the tests speak JSON-RPC), so the
    worker idles until the master stops it."""
    if sys.argv[1:2] == ["gevent"]:
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
        return
    import odoo.cli  # 19.0 no longer imports the CLI with the package

    odoo.cli.main()


if __name__ == "__main__":
    serve()
