"""Compile locale/ and locale-allauth/ (*/LC_MESSAGES/*.po) into .mo files with Babel — no GNU gettext.

Django's own ``compilemessages`` calls GNU ``msgfmt``, which a fresh machine (or the slim Docker image)
does not have. Babel writes the same .mo format. Like msgfmt, fuzzy entries are left out; unlike
``pybabel compile``, a catalog whose *header* is still marked fuzzy (as ``makemessages`` leaves new
files) is compiled anyway instead of being skipped silently.

Usage: python bin/compile_translations.py [locale-dir ...]   (exit status 1 on a broken catalog)
Without an argument it compiles every directory in LOCALE_DIRS (the same as settings.LOCALE_PATHS).
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# Our own catalogue and the formal German overrides of allauth's messages (docs/i18n.md).
LOCALE_DIRS = [ROOT / "locale", ROOT / "locale-allauth"]


def _is_translated(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


def compile_catalogs(locale_dir: Path) -> int:
    po_files = sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
    if not po_files:
        print(f"translations: no .po files under {locale_dir}/ yet — nothing to compile")
        return 0
    errors = 0
    for po_path in po_files:
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        for message, problems in catalog.check():
            for problem in problems:
                errors += 1
                print(f"{po_path}:{message.lineno}: {problem}", file=sys.stderr)
        messages = [m for m in catalog if m.id]  # iteration yields the header first; it has no id
        translated = sum(1 for m in messages if _is_translated(m.string) and not m.fuzzy)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        name = po_path.relative_to(locale_dir.parent)
        print(f"translations: {name} → .mo ({translated} of {len(messages)} messages translated)")
    return 1 if errors else 0


if __name__ == "__main__":
    roots = [Path(arg) for arg in sys.argv[1:]] or LOCALE_DIRS
    sys.exit(max(compile_catalogs(root) for root in roots))
