"""No template of ours contains what the Content-Security-Policy blocks.

Inline ``<script>`` without ``src``, ``<style>`` elements, ``style="…"`` attributes, ``on…=`` event
handlers, ``javascript:`` URLs and htmx's ``hx-on`` (eval) would be blocked by ``script-src 'self';
style-src 'self'`` (config/settings.py): the page would silently lose behaviour or styling. This scan
fails the moment someone adds one, with the place. E-mail templates are not web pages (mail clients
need inline styles) and are left out.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NOT_WEB_PAGES = {TEMPLATES / "email"}

# A script element that runs code written into the page: no src attribute, and a type that executes.
_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_DATA_TYPES = re.compile(r"""\btype\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"""<[a-z][^>]*\sstyle\s*=""", re.IGNORECASE | re.DOTALL)
_HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=""", re.IGNORECASE | re.DOTALL)
_JS_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)
# htmx runs hx-on attributes through eval, which the policy (and htmx-config allowEval) forbids.
_HX_ON = re.compile(r"""\shx-on[:-]?[a-z:.-]*\s*=""", re.IGNORECASE)


def csp_problems(text: str) -> list[str]:
    """What in ``text`` (a template) the policy would block, one line each."""
    problems = []
    for match in _SCRIPT.finditer(text):
        attrs = match.group("attrs")
        if not re.search(r"\bsrc\s*=", attrs) and not _DATA_TYPES.search(attrs):
            problems.append(f"inline <script>: {match.group(0)}")
    for pattern, what in (
        (_STYLE_ELEMENT, "<style> element"),
        (_STYLE_ATTRIBUTE, "style attribute"),
        (_HANDLER, "on… event handler attribute"),
        (_JS_URL, "javascript: URL"),
        (_HX_ON, "hx-on attribute"),
    ):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{what} on line {line}: {match.group(0)[-60:]!r}")
    return problems


def web_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*.html")
        if not any(folder in path.parents for folder in NOT_WEB_PAGES)
    )


def test_there_are_templates_to_scan():
    # Guards the scan itself: a moved folder must not make the test below pass on nothing.
    names = {path.relative_to(TEMPLATES).as_posix() for path in web_templates()}
    assert {"base.html", "allauth/layouts/base.html", "drf_spectacular/redoc.html"} <= names
    assert len(names) > 50


@pytest.mark.parametrize("path", web_templates(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_template_has_nothing_the_csp_blocks(path):
    assert csp_problems(path.read_text()) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="text/javascript">x()</script>',
        "<style>body { color: red }</style>",
        '<p class="a" style="color: red">',
        '<button\n  type="button" onclick="go()">',
        '<body onload="start()">',
        '<a href="javascript:void(0)">',
        '<div hx-on:click="go()">',
    ],
)
def test_the_scan_finds_what_the_policy_blocks(snippet):
    assert csp_problems(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/vendor/htmx-2.min.js" defer></script>',
        '<script type="application/json" id="data">{}</script>',
        '<link rel="stylesheet" href="/static/css/site.css">',
        '<form hx-post="/suche/" hx-target="#results">',
        "<p>Someone wrote style= and onclick= in a sentence.</p>",
    ],
)
def test_the_scan_leaves_allowed_markup_alone(snippet):
    assert csp_problems(snippet) == []
