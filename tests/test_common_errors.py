"""Does the "most common errors" page quote PyTorch's real messages and point to exercises that exist?

Every python block of docs/<lang>/common-errors.md runs (in page order, one namespace, as tests/test_site_code_blocks.py
runs it too); a line `print(...)  # text` must print something that contains `text`. Every exercise link must name a
real exercise anchor of a chapter page, each of the four families (shape, dtype, device, graph) has its section,
and every named mistake the page quotes is one of the autograder's (autograder/engine/mistakes.py) in that language.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from autograder.engine import mistakes
from tests.test_site_code_blocks import extract_blocks

ROOT = Path(__file__).resolve().parent.parent
PAGES = {language: ROOT / "docs" / language / "common-errors.md" for language in ("en", "zh")}
PRINTED = re.compile(r"^\s*print\((?P<expr>.*)\)\s+# (?P<expected>.+?)\s*$")
LINK = re.compile(r"\]\((?P<page>chapters/[\w-]+\.md)(?:#(?P<anchor>ex-\d+-\d+))?\)")
FAMILIES = {"en": ["Shape", "dtype", "Device", "Graph"], "zh": ["形状", "dtype", "设备", "计算图"]}
QUOTE = {"en": re.compile(r'named(?: mistakes?)? "([^"]+)"(?: and "([^"]+)")?'),
         "zh": re.compile(r"点名的错误：“([^”]+)”(?:和“([^”]+)”)?")}


def printed_lines(code: str) -> list[tuple[str, str]]:
    """(expression, expected text) for every `print(x)  # expected` line whose comment quotes a message."""
    out = []
    for line in code.splitlines():
        match = PRINTED.match(line)
        if match and match["expr"] in ("error", "caught[0].message"):
            out.append((match["expr"], match["expected"]))
    return out


@pytest.mark.parametrize("language", PAGES)
def test_every_quoted_message_is_what_torch_prints(language, monkeypatch):
    monkeypatch.chdir(ROOT)
    blocks = extract_blocks(PAGES[language].read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__common_errors__"}
    quoted = 0
    for block in blocks:
        expected = [text for _, text in printed_lines(block.code)]
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(block.code, f"common-errors.md:{block.line}", "exec"), namespace)
        for text in expected:
            assert text in output.getvalue(), f"block at line {block.line}: {text!r} not in {output.getvalue()!r}"
            quoted += 1
    assert quoted >= 12, f"only {quoted} messages quoted"


@pytest.mark.parametrize("language", PAGES)
def test_links_name_real_exercises(language):
    text = PAGES[language].read_text(encoding="utf-8")
    links = list(LINK.finditer(text))
    assert len(links) >= 20
    for link in links:
        page = ROOT / "docs" / language / link["page"]
        assert page.is_file(), link.group(0)
        if link["anchor"]:
            assert "{ #" + link["anchor"] + " }" in page.read_text(encoding="utf-8"), link.group(0)


@pytest.mark.parametrize("language", PAGES)
def test_the_four_families_have_their_sections(language):
    headings = re.findall(r"^## (.+)$", PAGES[language].read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert headings == FAMILIES[language]


@pytest.mark.parametrize("language", PAGES)
def test_named_mistakes_are_the_autograders(language):
    text = re.sub(r"\s*\n\s*", " " if language == "en" else "", PAGES[language].read_text(encoding="utf-8"))
    names = [m.name if language == "en" else m.name_zh for m in mistakes.CATALOG.values()]
    quoted = [q for match in QUOTE[language].finditer(text) for q in match.groups() if q]
    assert len(quoted) >= 6
    for quote in quoted:
        assert any(quote.lower() in name.lower() for name in names), f"not a named mistake of the autograder: {quote!r}"


def test_the_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    assert re.search(r"^\s*- (?:[^:\n]+: )?common-errors\.md\s*$", nav, flags=re.MULTILINE)
