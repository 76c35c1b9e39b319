"""German is the primary language and must be complete; English is the source language."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
PO_DE = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"


def catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="de")


def test_every_german_message_is_translated_and_not_fuzzy():
    untranslated = []
    for message in catalog(PO_DE):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            untranslated.append(message.id)
    assert untranslated == []


def test_po_file_knows_every_string_in_the_code(tmp_path):
    """makemessages on a copy of the code finds no msgid missing from locale/de."""
    if shutil.which("xgettext") is None:
        if IN_CI:
            pytest.fail("GNU gettext (xgettext) is needed for this check in CI")
        pytest.skip("xgettext not installed")
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "node_modules", "var", ".git", "*.mo", "__pycache__")
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "de", "-i", "tests/*", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=120,
    )
    current = {m.id if not m.context else (m.context, m.id) for m in catalog(PO_DE) if m.id}
    fresh = catalog(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")
    found = {m.id if not m.context else (m.context, m.id) for m in fresh if m.id}
    missing = sorted(map(str, found - current))
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:10])


@pytest.mark.django_db
def test_pages_are_german_by_default_and_english_on_request(client):
    german = client.get(reverse("konten:home"))
    assert '<html lang="de">' in german.content.decode()
    assert "Räume, Ausstattung und Können teilen in Meißen" in german.content.decode()
    english = client.get(reverse("konten:home"), headers={"accept-language": "en"})
    assert '<html lang="en">' in english.content.decode()
    assert "Sharing rooms, equipment and skills in Meißen" in english.content.decode()


@pytest.mark.django_db
def test_language_switch_works_without_javascript(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Sharing rooms" in client.get("/").content.decode()
