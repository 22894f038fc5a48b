"""tools/build_addons.py: the addons directory of a newer series, made from the one source."""

import ast
import xml.etree.ElementTree as ElementTree

import pytest

from tools import build_addons


@pytest.fixture(scope="module")
def built_18(tmp_path_factory):
    return build_addons.build("18.0", tmp_path_factory.mktemp("addons") / "18.0")


def xml_files(root):
    return [path for path in root.rglob("*.xml") if "static" not in path.parts]


def test_the_manifests_name_the_series(built_18):
    for addon in build_addons.ADDONS:
        manifest = ast.literal_eval((built_18 / addon / "__manifest__.py").read_text())
        assert manifest["version"].startswith("18.0."), addon
        source = ast.literal_eval((build_addons.REPO / addon / "__manifest__.py").read_text())
        assert manifest["version"][4:] == source["version"][4:], "only the series changes"


def test_list_views_and_crons_of_18(built_18):
    files = xml_files(built_18)
    assert files
    views = crons = 0
    for path in files:
        text = path.read_text()
        ElementTree.fromstring(text.encode())  # still well-formed
        assert "<tree" not in text and "</tree>" not in text, path
        assert 'name="numbercall"' not in text and 'name="doall"' not in text, path
        for field in ElementTree.fromstring(text.encode()).iter("field"):
            if field.get("name") == "view_mode":
                assert "tree" not in field.text, path
                views += "list" in field.text
            if field.get("name") == "interval_type":
                crons += 1
    assert views >= 3 and crons >= 3


def test_the_chatter_of_18(built_18):
    chatters = 0
    for path in xml_files(built_18):
        text = path.read_text()
        assert "oe_chatter" not in text, path
        chatters += text.count("<chatter />")
    source = sum(
        path.read_text().count('class="oe_chatter"')
        for path in xml_files(build_addons.REPO / "stripe_terminal_account")
        + xml_files(build_addons.REPO / "stripe_terminal_refund")
    )
    assert chatters == source >= 2


def test_the_source_series_is_copied_as_it_is(tmp_path):
    built = build_addons.build("17.0", tmp_path / "17.0")
    for path in xml_files(build_addons.REPO / "stripe_terminal_base"):
        if "build" in path.relative_to(build_addons.REPO).parts:
            continue
        copy = built / path.relative_to(build_addons.REPO)
        assert copy.read_text() == path.read_text()
    assert (
        not list(built.rglob("__pycache__"))
        and not (built / "stripe_terminal_base" / "build").exists()
    )


def test_an_unknown_series_is_refused(tmp_path):
    with pytest.raises(ValueError):
        build_addons.build("16.0", tmp_path / "x")


def test_a_new_build_keeps_the_editable_link_and_drops_stale_files(tmp_path):
    target = tmp_path / "18.0"
    build_addons.build("18.0", target)
    link = target / "stripe_terminal_base" / "build" / "__editable__" / "marker"
    link.parent.mkdir(parents=True)
    link.write_text("pip install -e keeps its link here")
    stale = target / "stripe_terminal_base" / "models" / "removed_since.py"
    stale.write_text("# a file the source no longer has")
    build_addons.build("18.0", target)
    assert link.is_file(), "the editable install must survive a rebuild"
    assert not stale.exists(), "a file removed from the source must leave the build"
    assert (target / "stripe_terminal_base" / "models" / "__init__.py").is_file()
