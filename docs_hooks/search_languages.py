"""MkDocs hook: each language of the site searches its own pages, and a Chinese word is searched whole.

mkdocs-static-i18n builds the Chinese pages into zh/ but leaves one search index, search/search_index.json, holding
both languages: "dropout" on the English site listed the Chinese pages first. After the build this hook splits it:
search/search_index.json keeps the English pages, zh/search/search_index.json the Chinese ones (locations made
relative to zh/), each with the search_index.js copy that a site opened from disk reads (Material's offline plugin).
A Chinese page finds its index through the `base` of Material's page configuration (the `__config` script), which
this hook points at zh/ for Chinese pages (Material uses `base` for the search index and its result links only).

Material's search worker splits a Chinese query into words it finds in the index, but never tries the whole query as
one word (`for (j = i + 1; j < query.length; ...)` in its query/segment): 过拟合 was searched as 过 + 拟, matched 过程
and 没见过, and opened pages highlighting 过 alone. The built worker is corrected to try the whole query
(`j <= query.length`); a Material release that changes that code is left as it is, and the browser test for 过拟合
(tests/test_site_browser.py) says so.
"""
from __future__ import annotations

import json
import logging
import posixpath
import re
from pathlib import Path

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.search_languages")

_CONFIG_SCRIPT = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.DOTALL)
# Material 9's minified segment(): for(let o=s+1;o<t.length;o++)t.slice(s,o)in e
_SEGMENT_LOOP = re.compile(r"for\(let (\w+)=(\w+)\+1;\1<(\w+)\.length;\1\+\+\)\3\.slice\(\2,\1\)in ")


def other_locales(config) -> list[str]:
    """The languages built into their own folder (zh/), i.e. every i18n language but the default one."""
    plugin = config.plugins.get("i18n")
    if plugin is None:
        return []
    return [language.locale for language in plugin.config.languages if not language.default and language.build]


def _locale_of(url: str, locales: list[str]) -> str | None:
    return next((locale for locale in locales if url.startswith(f"{locale}/")), None)


def point_base_at_language(output: str, locale: str) -> str:
    """The page with `base` in Material's `__config` moved from the site's root to its language's folder."""

    def rewrite(match: re.Match) -> str:
        page_config = json.loads(match.group(2))
        page_config["base"] = posixpath.join(page_config["base"], locale) + "/"
        return match.group(1) + json.dumps(page_config, ensure_ascii=False) + match.group(3)

    return _CONFIG_SCRIPT.sub(rewrite, output, count=1)


def on_post_page(output, page, config):
    locale = _locale_of(page.url, other_locales(config))
    return point_base_at_language(output, locale) if locale else output


def split_index(index: dict, locales: list[str]) -> dict[str, dict]:
    """{folder ("" for the default language, else the locale): that language's index, locations relative to it}."""
    parts = {"": []} | {locale: [] for locale in locales}
    for doc in index["docs"]:
        locale = _locale_of(doc["location"], locales)
        if locale:
            doc = {**doc, "location": doc["location"][len(locale) + 1:]}
        parts[locale or ""].append(doc)
    return {folder: {**index, "docs": docs} for folder, docs in parts.items()}


def _offline(config) -> bool:
    plugin = config.plugins.get("material/offline") or config.plugins.get("offline")
    return bool(plugin and plugin.config.enabled)


def write_indexes(site_dir: Path, locales: list[str], offline: bool) -> None:
    path = site_dir / "search" / "search_index.json"
    if not path.is_file():
        return
    for folder, index in split_index(json.loads(path.read_text(encoding="utf-8")), locales).items():
        target = site_dir / folder / "search"
        target.mkdir(parents=True, exist_ok=True)
        data = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
        (target / "search_index.json").write_text(data, encoding="utf-8")
        if offline:  # read from file:// as a script: `var __index = ...`, as Material's offline plugin writes it
            (target / "search_index.js").write_text(f"var __index = {data}", encoding="utf-8")


def fix_query_segmentation(site_dir: Path) -> bool:
    """Let Material's worker take a whole Chinese query as one word; False when its code is not the known one."""
    fixed = False
    for worker in (site_dir / "assets" / "javascripts" / "workers").glob("search.*.min.js"):
        code = worker.read_text(encoding="utf-8")
        patched, count = _SEGMENT_LOOP.subn(lambda m: m.group(0).replace(f"{m[1]}<{m[3]}", f"{m[1]}<={m[3]}"), code)
        if count == 1:
            worker.write_text(patched, encoding="utf-8")
            fixed = True
    if not fixed:
        log.info("search_languages: Material's query segmentation is not the known code; left unchanged")
    return fixed


@event_priority(-200)  # after mkdocs-static-i18n (-100) has built every language and merged their indexes
def on_post_build(config):
    if getattr(config.plugins.get("i18n"), "building", False):
        return  # a language's inner build: the merged index is written after the last one
    site_dir = Path(config.site_dir)
    write_indexes(site_dir, other_locales(config), _offline(config))
    fix_query_segmentation(site_dir)
