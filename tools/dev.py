#!/usr/bin/env python3
"""Set up, run and test the Stripe Terminal addons on a local Odoo.

Stdlib only: it runs with the machine's own Python before any virtualenv exists.

    python3 tools/dev.py demo   # set everything up, start the simulator and Odoo (Ctrl-C stops all)
    python3 tools/dev.py test   # fresh database, install the addons, run every test
    python3 tools/dev.py lint   # ruff and pylint-odoo
    python3 tools/dev.py env    # only build the environment (virtualenv, PostgreSQL check)

Options come from the environment: ODOO_SERIES (17.0), ODOO_SRC, PGHOST/PGPORT/PGUSER/PGPASSWORD,
ODOO_PORT (8069), SIMULATOR_PORT (12111), KEEP_TEST_DB=1, PYTEST_ARGS (extra pytest arguments).
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "tools") not in sys.path:  # the tests load this file by its path
    sys.path.insert(0, str(REPO / "tools"))
import build_addons  # noqa: E402 - tools/, beside this file

SERIES = os.environ.get("ODOO_SERIES", "17.0")
ADDONS = [
    "stripe_terminal_base",
    "stripe_terminal_account",
    "stripe_terminal_refund",
    "stripe_terminal_moto",
]
DEMO_ADDONS = ADDONS + ["stripe_terminal_demo"]
DEMO_DB = os.environ.get("DEMO_DB", f"stripe_terminal_demo_{SERIES.replace('.', '')}")
ODOO_GIT_URL = "https://github.com/odoo/odoo.git"
PG_BIN_CANDIDATES = [Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15, 14, 13)]
# Debian packages needed to build Odoo's Python requirements and to run browser tests.
BUILD_DEB_PACKAGES = ["libpq-dev", "libldap2-dev", "libsasl2-dev"]
BROWSER_DEB_PACKAGES = ["chromium"]
CHROMIUM_CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


def log(message):
    print(f"[dev] {message}", flush=True)  # noqa: T201 - a command-line tool talks on stdout


def fail(message, code=2):
    print(f"[dev] ERROR: {message}", file=sys.stderr, flush=True)  # noqa: T201
    sys.exit(code)


def run(cmd, check=True, **kwargs):
    return subprocess.run([str(c) for c in cmd], check=check, **kwargs)


def state_dir():
    path = REPO / ".state" / SERIES
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------- Odoo source


def find_odoo_source():
    """ODOO_SRC, else /opt/odoo/<series>, else a shallow clone when a network allows it."""
    candidates = []
    if os.environ.get("ODOO_SRC"):
        candidates.append(Path(os.environ["ODOO_SRC"]))
    candidates.append(Path("/opt/odoo") / SERIES)
    for candidate in candidates:
        if (candidate / "odoo" / "release.py").is_file():
            check_series(candidate)
            return candidate.resolve()
    clone_dir = state_dir() / "odoo-src"
    if (clone_dir / "odoo" / "release.py").is_file():
        return clone_dir
    log(f"No Odoo {SERIES} source found; trying a shallow clone of Odoo's public repository")
    result = run(
        ["git", "clone", "--depth", "1", "--branch", SERIES, ODOO_GIT_URL, clone_dir],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if result.returncode == 0 and (clone_dir / "odoo" / "release.py").is_file():
        return clone_dir
    shutil.rmtree(clone_dir, ignore_errors=True)
    fail(
        f"No Odoo {SERIES} Community source tree found. Put one (the directory that holds "
        f"odoo-bin and the odoo/ package) at /opt/odoo/{SERIES}, or point ODOO_SRC at it."
    )


def check_series(src):
    text = (src / "odoo" / "release.py").read_text()
    match = re.search(r"version_info = \((\d+), (\d+)", text)
    found = f"{match.group(1)}.{match.group(2)}" if match else "unknown"
    if found != SERIES:
        fail(f"{src} holds Odoo {found}, not {SERIES}")


# --------------------------------------------------------------------------- virtualenv


def addons_root():
    """Where Odoo finds the addons of SERIES: the checkout itself for 17.0, the source series;
    for a newer series the directory tools/build_addons.py makes from it (docs/porting.md)."""
    if SERIES == build_addons.SOURCE_SERIES:
        return REPO
    return REPO / ".build" / SERIES


def build_series_addons():
    """Make the newer series' addons again from the checkout (a copy, in a second)."""
    if addons_root() != REPO:
        build_addons.build(SERIES, addons_root())


def addon_tests():
    """The addons' test directories, where the series under test imports them from."""
    return [str(addons_root() / addon / "tests") for addon in ADDONS]


def venv_dir():
    return REPO / ".venv" / SERIES


def venv_python():
    return venv_dir() / "bin" / "python"


def requirement_files(odoo_src):
    return [
        odoo_src / "requirements.txt",
        REPO / "requirements.txt",
        REPO / "test-requirements.txt",
    ]


def ensure_debian_packages(packages, why):
    missing = [p for p in packages if not deb_installed(p)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        fail(f"Debian packages {', '.join(missing)} are needed ({why}); install them first")
    log(f"Installing {', '.join(missing)} ({why})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    run(["apt-get", "install", "-y", "-qq", *missing], env=env, stdout=subprocess.DEVNULL)


def deb_installed(package):
    if not shutil.which("dpkg-query"):
        return True  # not Debian: trust the machine, pip will say what is missing
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return "install ok installed" in result.stdout


def ensure_venv(odoo_src):
    """Create or refresh the virtualenv; fast when nothing changed (a stamp of the inputs)."""
    stamp_file = venv_dir() / ".stamp"
    inputs = hashlib.sha256()
    inputs.update(str(odoo_src).encode())
    for req in requirement_files(odoo_src):
        if req.is_file():
            inputs.update(req.read_bytes())
    for addon in ADDONS + ["stripe_terminal_demo"]:
        pyproject = REPO / addon / "pyproject.toml"
        if pyproject.is_file():
            inputs.update(addon.encode())
    inputs.update(str(addons_root()).encode())
    stamp = inputs.hexdigest()
    if venv_python().exists() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return
    ensure_debian_packages(BUILD_DEB_PACKAGES, "to build Odoo's Python requirements")
    if not venv_python().exists():
        log(f"Creating the virtualenv {venv_dir()}")
        run([sys.executable, "-m", "venv", venv_dir()])
        # Odoo 17 imports pkg_resources, which newer setuptools releases no longer ship.
        pip(["install", "-q", "--upgrade", "pip", "wheel", "setuptools<70"])
    log("Installing Odoo's requirements, the stripe SDK and the test tools")
    req_args = []
    for req in requirement_files(odoo_src):
        if req.is_file():
            req_args += ["-r", req]
    try:
        pip(["install", "-q", *req_args])
    except subprocess.CalledProcessError:
        # Some pinned sdists (cbor2 5.4.2 of Odoo 18) import pkg_resources in their build,
        # which the newest setuptools of pip's isolated build lacks: build them in the venv.
        log("Building the requirements without build isolation, with the venv's setuptools")
        pip(["install", "-q", "setuptools<70", "setuptools_scm", "wheel"])
        pip(["install", "-q", "--no-build-isolation", *req_args])
    # Odoo itself is used from its source tree (never copied): a .pth file puts it on the path.
    site_packages = run(
        [venv_python(), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site_packages, "odoo-src.pth").write_text(f"{odoo_src}\n")
    log("Installing the addons in editable mode")
    editable = []
    for addon in ADDONS + ["stripe_terminal_demo"]:
        if (addons_root() / addon / "pyproject.toml").is_file():
            editable += ["-e", addons_root() / addon]
    # --no-deps: the addons' Odoo dependencies come from the source tree, not from a registry.
    pip(["install", "-q", "--no-deps", *editable])
    stamp_file.write_text(stamp)


def pip(args):
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    run([venv_python(), "-m", "pip", *args], env=env)


# --------------------------------------------------------------------------- PostgreSQL


class Postgres:
    """A reachable PostgreSQL: the one PG* variables name, or a local throwaway cluster."""

    def __init__(self):
        self.started_here = False
        self.params = {}
        self.cluster = None

    def ensure(self):
        if any(os.environ.get(k) for k in ("PGHOST", "PGPORT", "PGUSER")):
            self.params = {
                "db_host": os.environ.get("PGHOST", "localhost"),
                "db_port": os.environ.get("PGPORT", "5432"),
                "db_user": os.environ.get("PGUSER", "odoo"),
                "db_password": os.environ.get("PGPASSWORD", "False"),
            }
            if not self.is_ready():
                where = f"{self.params['db_host']}:{self.params['db_port']}"
                fail(f"PostgreSQL at {where} is not reachable")
            log(f"Using PostgreSQL at {self.params['db_host']}:{self.params['db_port']}")
            return self
        self.ensure_local_cluster()
        return self

    def pg_bin(self, name):
        for directory in PG_BIN_CANDIDATES:
            if (directory / name).is_file():
                return directory / name
        found = shutil.which(name)
        if found:
            return Path(found)
        fail(f"PostgreSQL's {name} was not found; install PostgreSQL server binaries or set PGHOST")

    def is_ready(self):
        cmd = [
            self.pg_bin("pg_isready"),
            "-q",
            "-h",
            self.params["db_host"],
            "-p",
            self.params["db_port"],
        ]
        return subprocess.run([str(c) for c in cmd], check=False).returncode == 0

    def ensure_local_cluster(self):
        # PostgreSQL refuses to run as root: the cluster then belongs to the postgres user and
        # lives where that user can reach it, keyed by this checkout so clones do not collide.
        as_root = os.geteuid() == 0
        key = hashlib.sha256(str(REPO).encode()).hexdigest()[:10]
        if as_root:
            base = Path("/var/tmp/stripe_terminal_pg") / f"{key}-{SERIES}"
        else:
            base = state_dir() / "pg"
        data, sock = base / "data", base / "run"
        port_file = base / "port"
        self.cluster = data
        owner = "postgres" if as_root else None
        if not (data / "PG_VERSION").is_file():
            log(f"Creating a local PostgreSQL cluster in {data}")
            base.mkdir(parents=True, exist_ok=True)
            sock.mkdir(exist_ok=True)
            if as_root:
                shutil.chown(base, owner)
                shutil.chown(sock, owner)
                base.chmod(0o755)
            self.as_owner(
                [
                    self.pg_bin("initdb"),
                    "-D",
                    data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                owner,
                stdout=subprocess.DEVNULL,
            )
        if not port_file.is_file():
            port_file.write_text(str(free_port()))
        port = port_file.read_text().strip()
        self.params = {
            "db_host": str(sock),
            "db_port": port,
            "db_user": "odoo",
            "db_password": "False",
        }
        if not self.is_ready():
            log(f"Starting PostgreSQL on {sock} (port {port})")
            self.as_owner(
                [
                    self.pg_bin("pg_ctl"),
                    "-D",
                    data,
                    "-l",
                    base / "server.log",
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                    "start",
                ],
                owner,
                stdout=subprocess.DEVNULL,
            )
            self.started_here = True
        self.psql_as_superuser(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'odoo') "
            "THEN CREATE ROLE odoo LOGIN SUPERUSER; END IF; END$$;"
        )

    def as_owner(self, cmd, owner, **kwargs):
        cmd = [str(c) for c in cmd]
        if owner:
            cmd = ["runuser", "-u", owner, "--"] + cmd
        return subprocess.run(cmd, check=True, **kwargs)

    def psql_as_superuser(self, sql):
        run(
            [
                self.pg_bin("psql"),
                "-q",
                "-h",
                self.params["db_host"],
                "-p",
                self.params["db_port"],
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                sql,
            ],
            stdout=subprocess.DEVNULL,
        )

    def psql(self, sql, database="postgres"):
        return run(
            [
                self.pg_bin("psql"),
                "-qtA",
                "-h",
                self.params["db_host"],
                "-p",
                self.params["db_port"],
                "-U",
                self.params["db_user"],
                "-d",
                database,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=self.env(),
        ).stdout.strip()

    def env(self):
        env = dict(os.environ)
        if self.params.get("db_password") not in (None, "False"):
            env["PGPASSWORD"] = self.params["db_password"]
        return env

    def database_exists(self, name):
        return self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"

    def drop_database(self, name):
        run(
            [
                self.pg_bin("dropdb"),
                "--if-exists",
                "--force",
                "-h",
                self.params["db_host"],
                "-p",
                self.params["db_port"],
                "-U",
                self.params["db_user"],
                name,
            ],
            env=self.env(),
        )

    def stop(self):
        if self.started_here and self.cluster:
            log("Stopping the local PostgreSQL cluster")
            owner = "postgres" if os.geteuid() == 0 else None
            self.as_owner(
                [self.pg_bin("pg_ctl"), "-D", self.cluster, "-m", "fast", "-w", "stop"],
                owner,
                stdout=subprocess.DEVNULL,
            )
            self.started_here = False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- Odoo


def write_odoo_config(path, postgres, **options):
    lines = ["[options]"]
    values = dict(postgres.params)
    values.update(
        {
            "data_dir": str(state_dir() / "data"),
            "http_interface": "127.0.0.1",
            "list_db": "False",
            "admin_passwd": "admin",
            "max_cron_threads": "1",
            "limit_time_cpu": "600",
            "limit_time_real": "1200",
        }
    )
    values.update({k: str(v) for k, v in options.items()})
    if values.get("db_password") == "False":
        # No password: 19.0 warns about "False" for an option that is not a boolean, and an
        # absent option means the same on every series.
        del values["db_password"]
    lines += [f"{key} = {value}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def odoo_cmd(config, *args):
    return [venv_python(), "-m", "odoo", "-c", config, *args]


def install_addons(config, database, addons, logfile):
    """Install the addons; any ERROR or CRITICAL log line (a view that does not load, a missing
    access right...) makes the installation fail, not only a crash."""
    log(f"Installing {', '.join(addons)} in database {database}")
    with open(logfile, "w") as out:
        result = subprocess.run(
            [
                str(c)
                for c in odoo_cmd(
                    config,
                    "-d",
                    database,
                    "-i",
                    ",".join(addons),
                    "--stop-after-init",
                    "--log-level=info",
                )
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    problems = install_problems(Path(logfile).read_text())
    if result.returncode != 0 or problems:
        sys.stderr.write("".join(problems[:40]))
        fail(
            f"Installing the addons failed (exit {result.returncode}); full log: {logfile}", code=1
        )


def install_problems(text):
    """Lines of an Odoo log that make an installation fail: errors, tracebacks, and warnings
    about our own addons or models (Odoo logs a missing access right or a dubious field
    definition as a mere warning)."""
    lines = text.splitlines(keepends=True)
    pattern = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) |^Traceback ")
    warning = re.compile(r"^\d{4}-\d\d-\d\d \S+ \d+ WARNING ")
    ours = re.compile(r"stripe[._]terminal")
    # Expected on every start with the simulator: the suite says it is not talking to Stripe.
    expected = re.compile(r"instead of Stripe \(system parameter")
    return [
        line
        for line in lines
        if pattern.search(line)
        or (warning.search(line) and ours.search(line) and not expected.search(line))
    ]


# --------------------------------------------------------------------------- commands


def prepare():
    odoo_src = find_odoo_source()
    log(f"Odoo {SERIES} source: {odoo_src}")
    build_series_addons()
    ensure_venv(odoo_src)
    return odoo_src


def chromium_executable():
    for name in CHROMIUM_CANDIDATES:
        if shutil.which(name):
            return shutil.which(name)
    return None


def ensure_browser_tools():
    """Browser tests need Chromium and websocket-client; without them Odoo silently skips tours,
    so install them or stop here."""
    if not chromium_executable():
        ensure_debian_packages(BROWSER_DEB_PACKAGES, "browser tours run in Chromium")
    if not chromium_executable():
        fail("Chromium is required for the browser tests and could not be installed")
    check = subprocess.run([str(venv_python()), "-c", "import websocket"], check=False)
    if check.returncode != 0:
        pip(["install", "-q", "websocket-client"])


def cmd_env(_args):
    prepare()
    postgres = Postgres().ensure()
    log(f"Environment ready: {venv_python()}; PostgreSQL {postgres.params['db_host']}")
    postgres.stop()
    return 0


def cmd_test(args):
    prepare()
    ensure_browser_tools()
    postgres = Postgres().ensure()
    database = f"stripe_terminal_test_{secrets.token_hex(4)}"
    if database == DEMO_DB:  # pragma: no cover - different prefixes, kept as a guard
        fail("refusing to test on the demo database")
    config = write_odoo_config(
        state_dir() / f"{database}.conf",
        postgres,
        db_name=database,
        http_port=free_port(),
        dbfilter=f"^{database}$",
    )
    code = 1
    try:
        install_addons(config, database, ADDONS, state_dir() / f"{database}-install.log")
        pytest_args = [
            venv_python(),
            "-m",
            "pytest",
            f"--odoo-config={config}",
            f"--odoo-database={database}",
            "--odoo-http",
            "--odoo-log-level=warn",
            "-p",
            "tests.pytest_no_skip",
            *addon_tests(),
            str(REPO / "tests"),
            *args,
            *os.environ.get("PYTEST_ARGS", "").split(),
        ]
        log("Running the tests")
        env = dict(postgres.env(), PYTHONPATH=str(REPO), STRIPE_TERMINAL_TEST_DB=database)
        code = subprocess.run(
            [str(c) for c in pytest_args], cwd=REPO, env=env, check=False
        ).returncode
    finally:
        if not os.environ.get("KEEP_TEST_DB"):
            with contextlib.suppress(subprocess.CalledProcessError):
                postgres.drop_database(database)
            config.unlink(missing_ok=True)
        postgres.stop()
    log("Tests passed" if code == 0 else f"Tests FAILED (pytest exit code {code})")
    return code


def cmd_demo(args):
    """The demo: the Stripe simulator (its webhooks pointed at Odoo), PostgreSQL when none is
    reachable, and Odoo with the four addons and the demo data on DEMO_DB. Ctrl-C (or SIGTERM)
    stops everything it started; the next start keeps the data: the database stays, and the
    simulator reloads the accounts Odoo refers to from its state file.

    `demo --reset` drops the demo database and the simulator's state first; `demo --drop`
    drops them and stops there."""
    unknown = [arg for arg in args if arg not in ("--reset", "--drop")]
    if unknown:
        fail(f"unknown demo option(s) {' '.join(unknown)}; the options are --reset and --drop")
    if "--drop" in args:
        return demo_drop()
    # Ctrl-C even when started from a shell that ignores it for background jobs, and SIGTERM
    # (a service manager, a test) clean up the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, demo_interrupt)
    odoo_port = int(os.environ.get("ODOO_PORT", "8069"))
    sim_port = int(os.environ.get("SIMULATOR_PORT", "12111"))
    for port, what in ((odoo_port, "ODOO_PORT"), (sim_port, "SIMULATOR_PORT")):
        if not demo_port_free(port):
            fail(f"port {port} is in use; stop what listens there or choose another {what}")
    prepare()
    processes = []
    postgres = Postgres()
    try:
        postgres.ensure()
        files = demo_files()
        if "--reset" in args:
            log(f"Resetting the demo: dropping {DEMO_DB} and the simulator's state")
            demo_forget(postgres)
        demo_state = demo_read_state(files["state"])
        installed = postgres.database_exists(DEMO_DB) and demo_state.get("installed")
        if not installed:
            # A fresh database needs a fresh simulator: forget objects of an older demo, and a
            # database a previous run could not finish installing.
            if postgres.database_exists(DEMO_DB):
                postgres.drop_database(DEMO_DB)
            files["simulator"].unlink(missing_ok=True)
            demo_state.pop("installed", None)
            demo_write_state(files["state"], demo_state)
        elif not files["simulator"].is_file():
            log(
                "WARNING: the simulator's state file is missing, so its readers and customers "
                "are gone while the database still refers to them. Start over with "
                "`python3 tools/dev.py demo --reset`."
            )
        webhook_secret = demo_webhook_secret()
        simulator_url = f"http://127.0.0.1:{sim_port}"
        simulator = demo_spawn(
            [
                venv_python(),
                "-m",
                "tests.stripe_simulator",
                "--host",
                "127.0.0.1",
                "--port",
                sim_port,
                "--webhook-url",
                f"http://127.0.0.1:{odoo_port}/stripe_terminal/webhook",
                "--webhook-secret",
                webhook_secret,
                "--state-file",
                files["simulator"],
                "--log-level",
                "WARNING",
            ],
            env=dict(os.environ),
        )
        processes.append(simulator)
        wait_http(f"{simulator_url}/_simulator/health", simulator, "The Stripe simulator", 60)
        demo_env = {
            "STRIPE_TERMINAL_DEMO_SIMULATOR": simulator_url,
            "STRIPE_TERMINAL_DEMO_WEBHOOK_SECRET": webhook_secret,
        }
        config = write_odoo_config(
            files["config"],
            postgres,
            db_name=DEMO_DB,
            http_port=odoo_port,
            dbfilter=f"^{DEMO_DB}$",
            # Only the demo addon's data: Odoo's own demo records would bury it.
            without_demo="True",
        )
        if not installed:
            addons = [a for a in DEMO_ADDONS if (REPO / a / "__manifest__.py").is_file()]
            # The demo addon's post-init hook reads the simulator's address from the environment.
            os.environ.update(demo_env)
            started = time.monotonic()
            install_addons(config, DEMO_DB, addons, files["install_log"])
            log(f"Demo database {DEMO_DB} ready in {time.monotonic() - started:.0f} s")
            demo_write_state(files["state"], dict(demo_read_state(files["state"]), installed=True))
        odoo = demo_spawn(
            odoo_cmd(config, "-d", DEMO_DB, "--log-handler=werkzeug:WARNING"),
            env=dict(postgres.env(), **demo_env),
        )
        processes.append(odoo)
        odoo_url = f"http://127.0.0.1:{odoo_port}"
        wait_http(f"{odoo_url}/web/login", odoo, "Odoo", 300)
        log("The demo is running:")
        log(f"  Odoo            {odoo_url}/web  (login: admin, password: admin)")
        log(f"  Virtual reader  {simulator_url}/_simulator/")
        log(f"  Database        {DEMO_DB} (kept; `python3 tools/dev.py demo --reset` starts over)")
        log("Press Ctrl-C to stop everything.")
        while True:
            for process in processes:
                if process.poll() is not None:
                    name = "Odoo" if process is odoo else "The Stripe simulator"
                    log(f"{name} exited with code {process.returncode}; stopping the demo")
                    return 1
            process_wait(odoo, 1)
    except KeyboardInterrupt:
        log("Stopping the demo")
        return 0
    finally:
        # Odoo first (its last requests may still reach Stripe), then the simulator, which
        # writes its state file on the way out, then PostgreSQL if this command started it.
        # A second Ctrl-C must not leave half of it running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in reversed(processes):
            demo_stop(process)
        postgres.stop()


def demo_drop():
    prepare()
    postgres = Postgres().ensure()
    try:
        log(f"Dropping the demo database {DEMO_DB} and the simulator's state")
        demo_forget(postgres)
    finally:
        postgres.stop()
    return 0


def demo_forget(postgres):
    """Drop the demo database, its files and its simulator's state."""
    if postgres.database_exists(DEMO_DB):
        postgres.drop_database(DEMO_DB)
    for path in demo_files().values():
        path.unlink(missing_ok=True)
    shutil.rmtree(state_dir() / "data" / "filestore" / DEMO_DB, ignore_errors=True)


def demo_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def demo_files():
    """The demo's files, per demo database: a second demo (the test's) never shares them."""
    base = state_dir()
    return {
        "config": base / f"{DEMO_DB}.conf",
        "state": base / f"{DEMO_DB}.json",
        "simulator": base / f"{DEMO_DB}-simulator.json",
        "install_log": base / f"{DEMO_DB}-install.log",
    }


def demo_read_state(path):
    return json.loads(path.read_text()) if path.is_file() else {}


def demo_write_state(path, data):
    path.write_text(json.dumps(data, indent=2))


def demo_webhook_secret():
    """The signing secret of the simulator's webhooks, kept with the demo database."""
    path = demo_files()["state"]
    data = demo_read_state(path)
    if "webhook_secret" not in data:
        data["webhook_secret"] = "whsec_demo_" + secrets.token_hex(12)
        demo_write_state(path, data)
    return data["webhook_secret"]


def demo_port_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo_spawn(cmd, env):
    """A child of the demo in a session of its own, so that Ctrl-C reaches only this command,
    which then stops the children in order; on Linux a child also gets SIGTERM if this command
    dies without cleaning up (kill -9)."""
    return subprocess.Popen(
        [str(c) for c in cmd],
        cwd=REPO,
        env=env,
        start_new_session=True,
        preexec_fn=demo_die_with_parent,
    )


def demo_die_with_parent():
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def demo_stop(process, timeout=30):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_http(url, process, name="Odoo", timeout=300):
    """Wait until `url` answers; fail if `process` exits first or the deadline passes."""
    import urllib.error
    import urllib.request

    # Loopback only: a proxy from the environment must not be asked.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"{name} exited with code {process.returncode} before answering {url}", code=1)
        try:
            with opener.open(url, timeout=5):
                return
        except (urllib.error.URLError, OSError):
            # Still starting: poll again shortly (bounded by the deadline).
            process_wait(process, 0.5)
    fail(f"{name} did not answer {url} within {timeout} s", code=1)


def process_wait(process, seconds):
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


def lint_targets():
    return [
        a for a in ADDONS + ["stripe_terminal_demo"] if (REPO / a / "__manifest__.py").is_file()
    ]


# What prettier formats, as OCA's template selects it: generated files, libraries, the
# addons' readme fragments and the root README (its tables are written by tools) stay out.
PRETTIER_SUFFIXES = (".css", ".html", ".js", ".json", ".md", ".scss", ".xml", ".yaml", ".yml")
PRETTIER_EXCLUDE = re.compile(
    r"^setup/|/static/description/index\.html$|^README\.md$|/static/(src/)?lib/|/readme/"
    r"|(^|/)package-lock\.json$"
)


def node_tools():
    """prettier and eslint at the versions package-lock.json pins, in node_modules/."""
    if not shutil.which("npm"):
        fail("npm is needed for prettier and eslint (apt install npm)")
    stamp = REPO / "node_modules" / ".package-lock.json"
    lock = REPO / "package-lock.json"
    if not stamp.is_file() or stamp.stat().st_mtime < lock.stat().st_mtime:
        log("Installing prettier and eslint (npm ci)")
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REPO)
    return REPO / "node_modules" / ".bin"


def tracked_files(suffixes):
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    return [
        f
        for f in listed
        if f.endswith(suffixes) and not PRETTIER_EXCLUDE.search(f) and (REPO / f).is_file()
    ]


def cmd_lint(_args):
    """ruff, pylint-odoo's mandatory checks, OCA's XML/manifest checks, prettier and eslint;
    any finding fails."""
    prepare()
    pip(["install", "-q", "-r", REPO / "lint-requirements.txt"])
    bin_dir = venv_dir() / "bin"
    node_bin = node_tools()
    addons = lint_targets()
    checks = [
        [bin_dir / "ruff", "check", "."],
        [bin_dir / "ruff", "format", "--check", "."],
        [bin_dir / "pylint", "--rcfile=.pylintrc-mandatory", *addons],
        [bin_dir / "oca-checks-odoo-module", *addons],
        [node_bin / "prettier", "--check", *tracked_files(PRETTIER_SUFFIXES)],
        [node_bin / "eslint", "--max-warnings=0", *tracked_files((".js",))],
    ]
    failed = [c for c in checks if run(c, cwd=REPO, check=False).returncode != 0]
    for check in failed:
        log(f"lint failed: {' '.join(str(c) for c in check[:2])}")
    log("Lint passed" if not failed else "Lint FAILED")
    return 1 if failed else 0


def cmd_quicktest(args):
    """Developer loop: keep a database of its own (DEV_DB), install or update the addons, run
    pytest with ARGS. The PostgreSQL cluster is left running for the next round."""
    prepare()
    ensure_browser_tools()
    postgres = Postgres().ensure()
    database = os.environ.get("DEV_DB", f"stripe_terminal_dev_{SERIES.replace('.', '')}")
    config = write_odoo_config(
        state_dir() / f"{database}.conf",
        postgres,
        db_name=database,
        http_port=free_port(),
        dbfilter=f"^{database}$",
    )
    # DEV_ADDONS narrows the loop to some addons (others' work in progress stays out); the
    # demo addon is left out unless named, since it needs the demo's simulator.
    wanted = os.environ.get("DEV_ADDONS", ",".join(ADDONS)).split(",")
    addons = [a for a in wanted if (REPO / a / "__manifest__.py").is_file()]
    flag = "-u" if postgres.database_exists(database) else "-i"
    log(f"{'Updating' if flag == '-u' else 'Installing'} the addons in {database}")
    logfile = state_dir() / f"{database}-install.log"
    with open(logfile, "w") as out:
        subprocess.run(
            [
                str(c)
                for c in odoo_cmd(
                    config, "-d", database, flag, ",".join(addons), "--stop-after-init"
                )
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    problems = install_problems(logfile.read_text())
    if problems:
        sys.stderr.write("".join(problems[:40]))
        log(f"Install problems; full log: {logfile}")
        return 1
    env = dict(postgres.env(), PYTHONPATH=str(REPO), STRIPE_TERMINAL_TEST_DB=database)
    pytest_args = [
        venv_python(),
        "-m",
        "pytest",
        f"--odoo-config={config}",
        f"--odoo-database={database}",
        "--odoo-http",
        "--odoo-log-level=warn",
        *(args or addon_tests()),
    ]
    return subprocess.run([str(c) for c in pytest_args], cwd=REPO, env=env, check=False).returncode


def cmd_stripe_check(args):
    """The Stripe-facing scenarios against Stripe's test mode (tools/stripe_check.py): no
    Odoo database, no simulator; the virtualenv gives stripe-python and the addons' core."""
    prepare()
    command = [str(venv_python()), str(REPO / "tools" / "stripe_check.py"), *args]
    return subprocess.run(command, cwd=REPO, check=False).returncode


COMMANDS = {
    "demo": cmd_demo,
    "test": cmd_test,
    "lint": cmd_lint,
    "env": cmd_env,
    "quicktest": cmd_quicktest,
    "stripe-check": cmd_stripe_check,
}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)  # noqa: T201
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
