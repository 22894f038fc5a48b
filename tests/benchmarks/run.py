#!/usr/bin/env python3
"""Run the benchmarks: `python3 tests/benchmarks/run.py [options]` (what `make bench` does).

Stdlib only, like tools/dev.py: it builds the virtualenv and the local PostgreSQL with
tools/dev.py, then runs tests/benchmarks/bench.py with the virtualenv's Python. Options are
bench.py's (`--help`).
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main(argv):
    spec = importlib.util.spec_from_file_location("stripe_terminal_dev", REPO / "tools" / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    dev.prepare()
    dev.ensure_browser_tools()
    postgres = dev.Postgres().ensure()
    try:
        env = dict(postgres.env(), PYTHONPATH=str(REPO))
        command = [str(dev.venv_python()), "-m", "tests.benchmarks.bench", *argv]
        return subprocess.run(command, cwd=REPO, env=env, check=False).returncode
    finally:
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
