"""Regenerate the addons' translation templates (i18n/<addon>.pot) from a database where the
addons are installed and up to date (the quicktest database, DEV_DB):

    make quicktest ARGS=tests/test_stripe_check.py && python3 tools/export_pot.py

Odoo's export lists a source reference once per file that holds the term, and follows the
`build/` copies an editable install leaves in each addon: those are dropped, so a template
names each source once.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import dev  # noqa: E402


def clean(text):
    """The template with each entry's references once, and none into build/ copies."""
    blocks = []
    for block in text.split("\n\n"):
        seen, lines = set(), []
        for line in block.split("\n"):
            if line.startswith("#: ") and "/build/" in line:
                continue
            if line.startswith(("#: ", "#. ")):
                if line in seen:
                    continue
                seen.add(line)
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def main():
    database = os.environ.get("DEV_DB", f"stripe_terminal_dev_{dev.SERIES.replace('.', '')}")
    config = dev.state_dir() / f"{database}.conf"
    if not config.is_file():
        sys.exit(f"export_pot: no {config}; run `make quicktest` first (DEV_DB={database})")
    postgres = dev.Postgres().ensure()
    env = dict(os.environ, **postgres.env())
    for addon in dev.ADDONS:
        with tempfile.TemporaryDirectory() as tmp:
            exported = Path(tmp) / f"{addon}.pot"
            command = dev.odoo_cmd(
                config,
                "-d",
                database,
                f"--i18n-export={exported}",
                f"--modules={addon}",
                "--stop-after-init",
                "--log-level=warn",
            )
            subprocess.run([str(c) for c in command], env=env, check=True)
            target = REPO / addon / "i18n" / f"{addon}.pot"
            target.write_text(clean(exported.read_text()))
            print(f"{target.relative_to(REPO)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
