"""The four addons install alone and together, in any order their dependencies allow.

Each scenario installs into a fresh database of its own (no demo data, to keep it short) with
Odoo's command line, as an integrator would, and fails on any error or on any warning about the
suite's models in the log (a missing access right, a view that does not load).
"""

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

from odoo.tools import config

from tools.dev import install_problems

REPO = Path(__file__).resolve().parent.parent

SCENARIOS = {
    "base alone, then MOTO, then refunds": [
        ["stripe_terminal_base"],
        ["stripe_terminal_moto"],
        ["stripe_terminal_refund"],
    ],
    "account alone": [["stripe_terminal_account"]],
    "refunds alone, then MOTO": [["stripe_terminal_refund"], ["stripe_terminal_moto"]],
}


def odoo_args(database):
    args = [
        sys.executable,
        "-m",
        "odoo",
        "-d",
        database,
        "--stop-after-init",
        "--without-demo=True",
        "--log-level=info",
        "--http-port=0",
        "--max-cron-threads=0",
        f"--db_host={config['db_host']}",
        f"--db_port={config['db_port']}",
        f"--db_user={config['db_user']}",
        f"--data-dir={config['data_dir']}",
    ]
    if config.get("db_password") not in (None, False, "False"):
        args.append(f"--db_password={config['db_password']}")
    return args


def installed_modules(database):
    connection = connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM ir_module_module WHERE state = 'installed' AND name LIKE %s",
                ("stripe_terminal%",),
            )
            return {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()


def connect(database):
    password = config.get("db_password")
    return psycopg2.connect(
        dbname=database,
        host=config["db_host"],
        port=config["db_port"],
        user=config["db_user"],
        password=None if password in (None, False, "False") else password,
    )


def drop(database):
    connection = connect("postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        connection.close()


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_addons_install_in_any_order(steps, tmp_path):
    database = f"stripe_terminal_order_{uuid.uuid4().hex[:8]}"
    expected = set()
    try:
        for step in steps:
            log = tmp_path / f"install-{'-'.join(step)}.log"
            with log.open("w") as out:
                result = subprocess.run(
                    [*odoo_args(database), "-i", ",".join(step)],
                    cwd=REPO,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=900,
                    check=False,
                )
            problems = install_problems(log.read_text())
            assert result.returncode == 0 and not problems, "".join(problems[:20])
            expected |= set(step)
            installed = installed_modules(database)
            assert expected <= installed, installed
            # Dependencies came along, nothing else of the suite did.
            dependencies = {
                "stripe_terminal_account": {"stripe_terminal_base"},
                "stripe_terminal_refund": {"stripe_terminal_base", "stripe_terminal_account"},
                "stripe_terminal_moto": {"stripe_terminal_base", "stripe_terminal_account"},
            }
            for name in set(expected):
                expected |= dependencies.get(name, set())
            assert installed == expected, installed
    finally:
        drop(database)
