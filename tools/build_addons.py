"""Make the addons directory of an Odoo series from the one source tree.

    python3 tools/build_addons.py 18.0          # -> .build/18.0/<addon>/

The checkout is the 17.0 addons as they are. A few things cannot be written once for every
series, because Odoo reads them as data rather than code; for a newer series this step copies
the addons and rewrites exactly those, each for the reason given in RULES (docs/porting.md
keeps the record). Its output is never committed nor edited: make it again instead.
"""

import argparse
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE_SERIES = "17.0"
SERIES = ("17.0", "18.0", "19.0")
ADDONS = (
    "stripe_terminal_base",
    "stripe_terminal_account",
    "stripe_terminal_refund",
    "stripe_terminal_moto",
    "stripe_terminal_demo",
)
# Left out of the copy: an editable install's artefacts, caches.
IGNORED = shutil.ignore_patterns("build", "__pycache__", "*.pyc", "*.egg-info")


def _manifest_version(text, series):
    # 18.0 refuses a manifest whose version names another series ("17.0.1.0.0"), and the
    # wheel builders read the series from it.
    return re.sub(
        r'("version":\s*")' + re.escape(SOURCE_SERIES) + r"\.",
        lambda match: match.group(1) + series + ".",
        text,
    )


def _list_views(text, _series):
    # 18.0 renamed the tree view to list: `<tree>` archs and `tree` in view modes.
    text = re.sub(r"<tree(?=[\s>/])", "<list", text)
    text = text.replace("</tree>", "</list>")
    return re.sub(
        r'(<field name="view_mode">)([^<]*)(</field>)',
        lambda match: (
            match.group(1)
            + ",".join(
                "list" if mode.strip() == "tree" else mode for mode in match.group(2).split(",")
            )
            + match.group(3)
        ),
        text,
    )


def _cron_fields(text, _series):
    # 18.0 removed ir.cron's numbercall and doall; 17.0 runs a cron once without numbercall=-1.
    return re.sub(r'\n[ \t]*<field name="(numbercall|doall)"[^>]*/>', "", text)


def _chatter(text, _series):
    # 18.0 compiles the chatter from a <chatter/> tag only; 17.0 only from div.oe_chatter
    # holding the followers, activities and messages fields.
    return re.sub(
        r'<div class="oe_chatter">\s*(?:<field name="(?:message_follower_ids|activity_ids|'
        r'message_ids)"\s*/>\s*)+</div>',
        "<chatter />",
        text,
    )


# (first series that needs it, file pattern, rewrite)
RULES = [
    ("18.0", "__manifest__.py", _manifest_version),
    ("18.0", "*.xml", _list_views),
    ("18.0", "*.xml", _cron_fields),
    ("18.0", "*.xml", _chatter),
]


def _key(series):
    return tuple(int(part) for part in series.split("."))


def rewrite(path, relative, series):
    """The file's content for `series` (None: copied as it is)."""
    rules = [
        rule
        for since, pattern, rule in RULES
        if _key(series) >= _key(since) and Path(relative).match(pattern)
    ]
    if not rules:
        return None
    text = path.read_text()
    for rule in rules:
        text = rule(text, series)
    return text


def _clear(directory):
    """Empty a previous build of an addon, except its `build/`: an editable install of the
    built addon (pip install -e) keeps its link there, and must survive a new build."""
    if not directory.is_dir():
        return
    for child in directory.iterdir():
        if child.name == "build":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def build(series, target=None):
    """Write the addons of `series` under `target` (.build/<series>); return that directory."""
    if series not in SERIES:
        raise ValueError(f"series must be one of {', '.join(SERIES)}")
    target = Path(target or REPO / ".build" / series)
    target.mkdir(parents=True, exist_ok=True)
    for addon in ADDONS:
        _clear(target / addon)
        shutil.copytree(REPO / addon, target / addon, ignore=IGNORED, dirs_exist_ok=True)
        for path in (target / addon).rglob("*"):
            if not path.is_file():
                continue
            text = rewrite(path, path.relative_to(target), series)
            if text is not None:
                path.write_text(text)
    (target / "README.txt").write_text(
        f"Made by tools/build_addons.py for Odoo {series} from the repository's addons: "
        "do not edit, make it again.\n"
    )
    return target


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("series", choices=SERIES)
    parser.add_argument("--target", help="another directory than .build/<series>")
    args = parser.parse_args(argv)
    print(build(args.series, args.target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
