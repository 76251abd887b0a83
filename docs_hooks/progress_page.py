"""MkDocs hook: the progress page names each chapter by its guide's title, in the page's language, with a link.

The export the autograder writes (docs/assets/progress/progress-data.js) knows a chapter by its module
(`ch01_tensors`). On the progress page the hook adds `data-chapters` to `<div id="coursekit-progress">`:
{"ch01_tensors": {"title": "第 1 章：张量", "url": "chapters/ch01-tensors.html"}, ...}, read from the navigation of
the page's language, with URLs relative to the page, so progress-page.js titles its tables like the guides do.
"""
from __future__ import annotations

import html
import json
import re

from mkdocs.utils import get_relative_url

_ROOT = '<div id="coursekit-progress"'
_CHAPTER = re.compile(r"(?:^|/)chapters/(ch\d\d-[\w-]+)\.md$")


def chapter_titles(nav, page) -> dict[str, dict[str, str]]:
    titles = {}
    for other in nav.pages:
        match = _CHAPTER.search(other.file.src_uri)
        if match and other.title:
            titles[match.group(1).replace("-", "_")] = {"title": other.title,
                                                         "url": get_relative_url(other.url, page.url)}
    return titles


def on_page_context(context, page, config, nav):
    if page.content and _ROOT in page.content:
        data = html.escape(json.dumps(chapter_titles(nav, page), ensure_ascii=False), quote=True)
        page.content = page.content.replace(_ROOT, f'{_ROOT} data-chapters="{data}"', 1)
    return context
