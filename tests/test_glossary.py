"""Does every Chinese page use the glossary's one term per concept?

The glossary is the table on docs/zh/glossary.md (English -> Chinese, variants to avoid separated by 、, a note) and its twin
docs/en/glossary.md. A variant in any other page under docs/zh/ fails, except inside “…” quotation marks (where a
page quotes the source article's own words); so does a glossary whose two language versions disagree.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ROW = re.compile(r"^\|(?P<en>[^|]+)\|(?P<zh>[^|]+)\|(?P<avoid>(?:[^|\\]|\\\|)*)\|")
QUOTED = re.compile(r"“[^”]*”")
FENCED = re.compile(r"^([ \t]*)(```|~~~).*?^\1\2[ \t]*$", re.MULTILINE | re.DOTALL)


def glossary(language: str) -> list[tuple[str, str, list[str]]]:
    """(English term, Chinese term, variants) for each row of docs/<language>/glossary.md."""
    rows = []
    for line in (DOCS / language / "glossary.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if not match or set(match["en"].strip()) <= {"-", " "} or match["en"].strip() in ("English", "英文"):
            continue
        avoid = [v.strip() for v in match["avoid"].split("、") if v.strip()]
        rows.append((match["en"].strip(), match["zh"].strip(), avoid))
    return rows


def prose(text: str) -> str:
    """The page without code blocks and without quotations (the source article's words may be quoted)."""
    return QUOTED.sub("", FENCED.sub("", text))


def zh_pages() -> list[Path]:
    return [p for p in sorted((DOCS / "zh").rglob("*.md")) if p.name != "glossary.md"]


def test_glossary_has_the_terms_issue_13_settles():
    rows = {en: (zh, avoid) for en, zh, avoid in glossary("zh")}
    assert len(rows) >= 40
    assert rows["inverted dropout"][0] == "倒置 dropout" and "反向 dropout" in rows["inverted dropout"][1]
    assert rows["bias correction"] == ("偏差修正", ["偏差校正"])
    assert rows["moving average"] == ("滑动平均", ["移动平均"])
    assert rows["epoch"] == ("epoch", ["轮次"])
    assert rows["reference solution"] == ("参考答案", ["参考实现"])
    assert rows["L2 penalty"][0] == "L2 惩罚"


def test_both_language_versions_of_the_glossary_agree():
    assert glossary("en") == glossary("zh")


def test_the_parser_sees_variants_and_skips_code_and_quotes():
    text = "用“后向传播”描述\n```python\nx = 1  # 轮次\n```\n每个轮次"
    assert "后向传播" not in prose(text) and prose(text).count("轮次") == 1


@pytest.mark.parametrize("path", zh_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_zh_page_uses_no_glossary_variant(path):
    text = prose(path.read_text(encoding="utf-8"))
    found = []
    for en, zh, avoid in glossary("zh"):
        for variant in avoid:
            for match in re.finditer(re.escape(variant), text, flags=re.IGNORECASE):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"line ~{line}: {variant!r} -> write {zh!r} ({en})")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language, name, condition", [("zh", "岭回归", "最小二乘"), ("en", "ridge", "least squares")])
def test_ridge_only_names_l2_penalised_least_squares(language, name, condition):
    """L2 is not "ridge": the word may only name least squares with an L2 penalty, said in the same breath."""
    bad = []
    for path in sorted((DOCS / language).rglob("*.md")):
        if path.name == "glossary.md":
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(name, text, flags=re.IGNORECASE):
            window = text[max(0, match.start() - 60): match.end() + 60]
            if condition not in window:
                bad.append(f"{path.relative_to(ROOT)}: ...{window!r}...")
    assert not bad, "\n".join(bad)


def report_chinese() -> str:
    """Every Chinese string the report can show: the named mistakes (the catalog's source holds them verbatim) and
    the exercises' hints."""
    from tests.test_contract import CHAPTERS, exercises_of

    texts = [(ROOT / "autograder" / "engine" / "mistakes.py").read_text(encoding="utf-8")]
    texts += [hint for chapter in CHAPTERS for exercise in exercises_of(chapter) for hint in exercise.hints_zh]
    return "\n".join(texts)


def test_the_reports_chinese_uses_no_glossary_variant():
    """The report speaks the course's terms too (its named mistakes and hints are shown in Chinese with --lang zh)."""
    text = report_chinese()
    found = [f"{variant!r} -> write {zh!r} ({en})" for en, zh, avoid in glossary("zh") for variant in avoid
             if re.search(re.escape(variant), text, flags=re.IGNORECASE)]
    assert not found, "\n".join(found)
