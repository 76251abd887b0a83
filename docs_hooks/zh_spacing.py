"""MkDocs hook: Chinese reads without spaces between characters, also where a source line wraps.

Markdown keeps a soft line break as a newline, and a browser shows a newline as a space: "部署时\n捕获" in
docs/zh/*.md reads "部署时 捕获". Chinese puts no spaces between words, so on every Chinese page the whitespace
between two CJK characters (han, CJK punctuation, full-width forms) is removed from the rendered HTML, also across
inline tags: a wrapped line ("时\n<strong>捕获") and a space typed after a bold lead-in ("**检查内容。** 检查项")
alike. Whitespace between a CJK character and a Latin letter or a digit stays ("使用\nPyTorch" reads "使用 PyTorch",
"第 1 章"), as Chinese typesetting wants, and so does the ideographic space U+3000. Code, preformatted text, math
and scripts are left exactly as written. Checked in the browser by tests/test_site_browser.py (no zh paragraph or
list item shows whitespace between two CJK characters).
"""
from __future__ import annotations

import re

# Han (with extension A and compatibility ideographs), CJK symbols and punctuation, full-width forms.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# Regions whose text must not change: code, preformatted blocks, scripts, styles and arithmatex's TeX.
_PROTECTED = re.compile(
    r"<(pre|code|script|style|textarea)\b.*?</\1>"
    r"|<(span|div) class=\"arithmatex\">.*?</\2>",
    re.DOTALL | re.IGNORECASE,
)
_TAGS = r"(?:<[^<>]+>)*"
# a CJK character, tags, spaces or line breaks, tags, a CJK character
_WRAP = re.compile(rf"(?<=[{CJK}])({_TAGS})[ \t\r\n]+({_TAGS})(?=[{CJK}])")


def join_cjk_lines(html: str) -> str:
    """`html` with the whitespace between two CJK characters removed, outside protected regions."""
    out, last = [], 0
    for match in _PROTECTED.finditer(html):
        out.append(_WRAP.sub(r"\1\2", html[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_WRAP.sub(r"\1\2", html[last:]))
    return "".join(out)


def _language(page, config) -> str:
    # mkdocs-static-i18n marks each file with its locale (an untranslated page shown in zh is still English)
    return getattr(page.file, "locale", None) or config.theme.get("language") or "en"


def on_page_content(html, page, config, files):
    if _language(page, config).startswith("zh"):
        return join_cjk_lines(html)
    return html
