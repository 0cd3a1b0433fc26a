"""English is complete: every catalogue is translated, compiled and current."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["offices", "surveys", "reports"]
# (catalogue folder, folder to scan, paths makemessages must ignore there)
CATALOGUES = [(ROOT / app, ROOT / app, []) for app in APPS] + [
    (ROOT, ROOT, [*APPS, ".venv", "var", "bench", "tests", "static", "docs", "locale"])
]


def _name(base):
    return "root" if base == ROOT else base.name


def _po(base):
    return base / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize(
    "base", [c[0] for c in CATALOGUES], ids=lambda p: "root" if p == ROOT else p.name
)
class TestCatalogue:
    def test_every_message_has_an_english_translation(self, base):
        po = polib.pofile(str(_po(base)))
        untranslated = [e.msgid for e in po if not e.msgstr and not e.msgstr_plural]
        fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
        assert untranslated == []
        assert fuzzy == []

    def test_the_compiled_catalogue_matches_the_source(self, base):
        po = polib.pofile(str(_po(base)))
        mo = polib.mofile(str(_po(base).with_suffix(".mo")))
        expected = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
        compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}
        assert compiled == expected


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is missing")
@pytest.mark.parametrize(
    "catalogue", CATALOGUES, ids=lambda c: "root" if c[0] == ROOT else c[0].name
)
def test_every_translatable_string_in_the_code_is_in_the_catalogue(catalogue, tmp_path):
    base, scan, ignore = catalogue
    copy = tmp_path / "src"
    shutil.copytree(
        scan, copy, ignore=shutil.ignore_patterns(*ignore, "*.mo", "*.po", "__pycache__")
    )
    (copy / "locale").mkdir(exist_ok=True)
    args = ["makemessages", "-l", "en", "--no-obsolete"] + [f"-i={name}" for name in ignore]
    result = subprocess.run(
        [sys.executable, "-P", "-m", "django", *args],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(_po(copy)))}
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(_po(base)))}
    assert fresh - committed == set(), "run makemessages and translate the new strings"
