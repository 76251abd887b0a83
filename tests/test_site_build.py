"""Does the course website build strictly, in both languages, with nothing loaded from outside?

Builds the site once into a temporary folder with `mkdocs build --strict` (so a broken page, link, anchor
or `:::stub` fails here), then inspects the built HTML: the offline layout (.html pages, every link a file), one
search index per language, the sitemap under site_url, the progress page's chapter titles. Also tests the `:::stub`
hook in docs_hooks/ (the other hooks: tests/test_site_hooks.py; the site in a browser: tests/test_site_browser.py).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGUAGES = ("en", "zh")
CHAPTERS = ["ch01-tensors", "ch02-autograd", "ch03-data", "ch04-modules", "ch05-forward-backward", "ch06-losses",
            "ch07-optimization", "ch08-training-loop", "ch09-linear-regression", "ch10-logistic-regression",
            "ch11-overfitting", "ch12-devices"]
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)

sys.path.insert(0, str(ROOT))
from docs_hooks.stubs import expand_stubs  # noqa: E402
from mkdocs.exceptions import PluginError  # noqa: E402


def mkdocs_build(config_file: Path, site_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config_file),
                           "--site-dir", str(site_dir)], cwd=config_file.parent, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    result = mkdocs_build(ROOT / "mkdocs.yml", site_dir)
    assert result.returncode == 0, f"`mkdocs build --strict` failed:\n{result.stdout}\n{result.stderr}"
    return site_dir


def pages(language: str) -> set[str]:
    return {p.relative_to(DOCS / language).as_posix() for p in (DOCS / language).rglob("*.md")}


def nav_pages() -> list[str]:
    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                yield from walk(value)
            else:
                yield value
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return list(walk(config["nav"]))


def test_both_languages_have_the_same_pages():
    """Is every page written in both English and Chinese?"""
    en, zh = pages("en"), pages("zh")
    assert en == zh, f"only in docs/en: {sorted(en - zh)}; only in docs/zh: {sorted(zh - en)}"


def test_nav_lists_every_page_and_every_chapter():
    """Is every page reachable from the navigation, including all twelve chapter guides?"""
    nav = nav_pages()
    assert set(pages("en")) == set(nav), f"not in nav: {sorted(pages('en') - set(nav))}; " \
                                         f"in nav without a page: {sorted(set(nav) - pages('en'))}"
    assert [p for p in nav if p.startswith("chapters/")] == [f"chapters/{c}.md" for c in CHAPTERS]


def test_strict_build_produces_every_page_in_both_languages(site):
    """Does `mkdocs build --strict` succeed and write each page at / (English) and /zh/ (Chinese)?"""
    for page in pages("en"):
        path = page.removesuffix(".md") + ".html"  # use_directory_urls: false (the offline copy)
        assert (site / path).is_file(), f"missing English page {path}"
        assert (site / "zh" / path).is_file(), f"missing Chinese page zh/{path}"
    assert '<html lang="zh"' in (site / "zh" / "index.html").read_text(encoding="utf-8")


class _Resources(HTMLParser):
    """Collects what a page makes the browser load: scripts, stylesheets, fonts, images, frames."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").lower()
            if any(word in rel for word in ("stylesheet", "preload", "prefetch", "icon", "modulepreload", "preconnect")):
                self.loads.append(attrs["href"])
        if tag == "object" and attrs.get("data"):
            self.loads.append(attrs["data"])
        style = attrs.get("style") or ""
        self.loads.extend(re.findall(r"url\(\s*['\"]?([^)'\"]+)", style))


def test_built_site_loads_nothing_from_outside(site):
    """Does every script, stylesheet, font and image come from the site itself (readable offline)?"""
    offenders = []
    for html in site.rglob("*.html"):
        parser = _Resources()
        parser.feed(html.read_text(encoding="utf-8"))
        offenders += [f"{html.relative_to(site)}: {url}" for url in parser.loads if EXTERNAL.match(url)]
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        urls = re.findall(r"url\(\s*['\"]?([^)'\"]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
        offenders += [f"{css.relative_to(site)}: {url}" for url in urls if EXTERNAL.match(url)]
    assert not offenders, "the site would load these from the network:\n" + "\n".join(offenders)
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")


def test_math_is_left_for_local_katex(site):
    """Is LaTeX emitted as arithmatex spans and KaTeX (with its fonts) shipped with the site?"""
    html = (site / "article" / "regression.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in html
    assert "assets/katex/katex.min.js" in html and "assets/javascripts/katex-init.js" in html
    fonts = list((site / "assets" / "katex" / "fonts").glob("*.woff2"))
    assert len(fonts) >= 20, "KaTeX fonts missing"
    assert (site / "assets" / "katex" / "LICENSE").is_file()


def _index(site: Path, language: str) -> dict:
    folder = site if language == "en" else site / language
    return json.loads((folder / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_search_index_segments_chinese(site):
    """Does the Chinese search index hold the Chinese pages, split into words by jieba?"""
    index = _index(site, "zh")
    assert "zh" not in index["config"]["lang"], "lunr.zh needs node's jieba and breaks search in the browser"
    assert "\\u200b" in index["config"]["separator"], "the separator must split on jieba's zero-width spaces"
    separator = re.compile(index["config"]["separator"])
    zh_words = set()
    for doc in index["docs"]:
        zh_words.update(separator.split(doc["title"] + " " + doc["text"]))
    assert {"过拟合", "优化器", "梯度"} <= zh_words, "Chinese words are not segmented in the search index"


def test_each_language_has_its_own_search_index(site):
    """Does search/ index the English pages only and zh/search/ the Chinese ones, each with its offline copy?"""
    en, zh = _index(site, "en"), _index(site, "zh")
    assert len(en["docs"]) >= 100 and len(zh["docs"]) >= 100
    assert any("overfitting" in d["text"].lower() for d in en["docs"])
    for index, folder, language in ((en, site, "en"), (zh, site / "zh", "zh")):
        pages = {d["location"].split("#")[0] for d in index["docs"]}
        missing = sorted(p for p in pages if not (folder / p).is_file())
        assert not missing, f"{language} search results that open no page: {missing[:10]}"
        wrong = sorted(p for p in pages if f'<html lang="{language}"' not in (folder / p).read_text(encoding="utf-8"))
        assert not wrong, f"the {language} search index lists pages of another language: {wrong[:10]}"
    for folder in (site, site / "zh"):  # what the offline copy reads from file:// (Material's offline plugin)
        script = (folder / "search" / "search_index.js").read_text(encoding="utf-8")
        json_text = (folder / "search" / "search_index.json").read_text(encoding="utf-8")
        assert script == f"var __index = {json_text}"


def test_chinese_pages_look_for_the_chinese_index(site):
    """Does each Chinese page point Material's `base` (where search finds its index) at zh/, English pages at /?"""
    def base(path: str) -> str:
        html = (site / path).read_text(encoding="utf-8")
        config = re.search(r'<script id="__config" type="application/json">(.*?)</script>', html).group(1)
        return json.loads(config)["base"]
    assert base("faq/overfitting.html") == ".."
    assert base("zh/faq/overfitting.html") == "../../zh/"
    assert base("zh/index.html") == "../zh/"
    assert base("index.html") == "."


def test_identifiers_are_one_search_word(site):
    """Does the search separator keep zero_grad and state_dict whole, and still split at dots and hyphens?"""
    separator = re.compile(_index(site, "en")["config"]["separator"])
    words = [w for w in separator.split("optimizer.zero_grad() model.state_dict() cross-entropy 1.5") if w]
    assert words == ["optimizer", "zero_grad", "model", "state_dict", "cross", "entropy", "1.5"]


def test_language_switcher_links_each_page_to_its_twin(site):
    """Does the language menu of an English page point to the same page in Chinese, and back?"""
    en = (site / "faq" / "overfitting.html").read_text(encoding="utf-8")
    zh = (site / "zh" / "faq" / "overfitting.html").read_text(encoding="utf-8")
    assert 'href="../zh/faq/overfitting.html" hreflang="zh"' in en
    assert 'href="../../faq/overfitting.html" hreflang="en"' in zh


def test_no_page_makes_material_look_for_a_missing_sitemap(site):
    """Is there no `<link rel="alternate" hreflang>` (Material fetches sitemap.xml beside each: 404) in any page?"""
    offenders = [str(html.relative_to(site)) for html in site.rglob("*.html")
                 if re.search(r'<link rel="alternate"[^>]*hreflang', html.read_text(encoding="utf-8"))]
    assert not offenders, offenders[:10]
    assert (site / "assets" / "javascripts" / "language-switch.js").is_file()


def test_sitemap_lists_every_page_at_the_site_url(site):
    """Does sitemap.xml give every page of both languages a full URL under site_url, each one a built page, with
    its twin in the other language?"""
    import xml.etree.ElementTree as ElementTree

    site_url = load_site_url()
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    sitemap = ElementTree.parse(site / "sitemap.xml").getroot()
    locations = [loc.text for loc in sitemap.findall("s:url/s:loc", namespace)]
    built = {p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html"}
    outside = [loc for loc in locations if not loc.startswith(site_url)]
    assert not outside, outside
    # each page names its twin for search engines (the pages' heads do not: docs_hooks/language_switch.py)
    xhtml = "{http://www.w3.org/1999/xhtml}link"
    twins = [{link.get("hreflang") for link in url.iter(xhtml)} for url in sitemap.findall("s:url", namespace)]
    assert twins and all(languages == {"en", "zh"} for languages in twins)
    assert {loc.removeprefix(site_url) for loc in locations} == built


def load_site_url(**environment) -> str:
    from mkdocs.config import load_config

    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        return load_config(str(ROOT / "mkdocs.yml")).site_url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_site_url_defaults_to_mkdocs_serve_and_can_be_set():
    """Is site_url the address of `mkdocs serve` unless COURSE_SITE_URL says where the site is published?"""
    assert load_site_url() == "http://127.0.0.1:8000/" or os.environ.get("COURSE_SITE_URL")
    assert load_site_url(COURSE_SITE_URL="https://example.edu/pytorch/") == "https://example.edu/pytorch/"


def test_offline_copy_links_pages_not_folders(site):
    """In the built copy, does every link between pages name an .html file that exists (file:// shows no folders)?"""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert config["use_directory_urls"] == "false"
    assert "offline" in [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]]
    href = re.compile(r'<a [^>]*href="([^"#?]*)[^"]*"')
    broken = []
    for html in site.rglob("*.html"):
        if html.name == "404.html":  # a server shows it at any address: its links are absolute, by design
            continue
        for target in href.findall(html.read_text(encoding="utf-8")):
            if not target or EXTERNAL.match(target) or target.startswith(("mailto:", "data:")):
                continue
            path = (html.parent / target).resolve()
            if target.endswith("/") or not path.is_file():
                broken.append(f"{html.relative_to(site)} -> {target}")
    assert not broken, "links that open a folder or nothing:\n" + "\n".join(sorted(set(broken))[:30])
    shim = site / "assets" / "javascripts" / "vendor" / "iframe-worker" / "shim.js"
    assert shim.is_file() and "assets/javascripts/vendor/iframe-worker/shim.js" in (site / "index.html").read_text()


def test_progress_page_knows_the_chapter_titles(site):
    """Does each language's progress page carry its guides' chapter titles and links for progress-page.js?"""
    import html as html_module

    for path, first in (("progress.html", "Chapter 1: Tensors"), ("zh/progress.html", "第 1 章：张量")):
        text = (site / path).read_text(encoding="utf-8")
        data = json.loads(html_module.unescape(re.search(r'data-chapters="([^"]*)"', text).group(1)))
        assert set(data) == {c.replace("-", "_") for c in CHAPTERS}
        assert data["ch01_tensors"] == {"title": first, "url": "chapters/ch01-tensors.html"}
        assert 'src="' + ("" if path == "progress.html" else "../") + 'assets/progress/progress-page.js"' in text


def test_theme_has_light_and_dark_palettes_and_copy_buttons():
    """Does the theme offer a light/dark toggle and copy buttons on code blocks, with no web fonts?"""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    schemes = {palette["scheme"] for palette in config["theme"]["palette"]}
    assert schemes == {"default", "slate"}
    assert "content.code.copy" in config["theme"]["features"]
    assert config["theme"]["font"] == "false"


# ------------------------------------------------------------------------------------- :::stub hook
EXERCISE_SOURCE = '''\
"""Chapter 99: a fake chapter for the hook's tests."""
import torch


def double(x: torch.Tensor,
           scale: float = 2.0) -> torch.Tensor:
    """Exercise 99.1: multiply x by scale.

    y = scale * x
    """
    raise NotImplementedError("Exercise 99.1: see the guide")


class Model(torch.nn.Module):
    """Exercise 99.2: a model."""

    def __init__(self, n: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the logits."""
        raise NotImplementedError
'''


@pytest.fixture()
def exercises_dir(tmp_path) -> Path:
    (tmp_path / "ch99_fake.py").write_text(EXERCISE_SOURCE, encoding="utf-8")
    return tmp_path


def test_stub_line_becomes_signature_and_docstring(exercises_dir):
    """Is `:::stub module.function` replaced by a python block with the signature, docstring and `...`?"""
    out = expand_stubs("Before\n\n:::stub ch99_fake.double\n\nAfter\n", exercises_dir)
    expected = textwrap.dedent('''\
        ```python
        def double(x: torch.Tensor,
                   scale: float = 2.0) -> torch.Tensor:
            """Exercise 99.1: multiply x by scale.

            y = scale * x
            """
            ...
        ```''')
    assert out == f"Before\n\n{expected}\n\nAfter\n"
    assert "NotImplementedError" not in out


def test_stub_of_a_class_and_of_a_method(exercises_dir):
    """Does the hook render a class (with its methods' signatures) and a single `Class.method`?"""
    cls = expand_stubs(":::stub ch99_fake.Model", exercises_dir)
    assert "class Model(torch.nn.Module):" in cls and "def __init__(self, n: int):" in cls
    assert '"""Return the logits."""' in cls and "super().__init__()" not in cls
    method = expand_stubs(":::stub ch99_fake.Model.forward", exercises_dir)
    assert method.splitlines()[1] == "def forward(self, x: torch.Tensor) -> torch.Tensor:"


def test_stub_keeps_indentation_inside_tabs_and_admonitions(exercises_dir):
    """Does an indented `:::stub` (inside a tab or a hint) produce an equally indented block?"""
    out = expand_stubs('=== "Stub"\n\n    :::stub ch99_fake.double\n', exercises_dir)
    assert all(line.startswith("    ") for line in out.splitlines()[2:] if line)


@pytest.mark.parametrize("target, complaint", [
    ("ch98_missing.double", "does not exist"),
    ("ch99_fake.triple", "no function or class `triple`"),
    ("ch99_fake", "expected `module.function`"),
])
def test_missing_stub_target_is_an_error(exercises_dir, target, complaint):
    """Does a `:::stub` that names a missing file or function stop with a clear message?"""
    with pytest.raises(PluginError, match=re.escape(complaint)):
        expand_stubs(f":::stub {target}\n", exercises_dir)


def _mini_site(tmp_path: Path, page: str) -> Path:
    """A one-page mkdocs project that uses the real hook, with exercises/ holding the fake chapter."""
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "ch99_fake.py").write_text(EXERCISE_SOURCE, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"site_name: hook test\nhooks:\n  - {(ROOT / 'docs_hooks' / 'stubs.py').as_posix()}\n"
                      "markdown_extensions:\n  - pymdownx.superfences\n", encoding="utf-8")
    return config


def test_hook_runs_inside_mkdocs(tmp_path):
    """Does a real build expand the stub into highlighted code?"""
    config = _mini_site(tmp_path, "# Guide\n\n:::stub ch99_fake.double\n")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "double" in html and ":::stub" not in html and "Exercise 99.1" in html


def test_hook_fails_the_build_for_a_missing_function(tmp_path):
    """Does a real build fail, naming the page, when a stub's function does not exist?"""
    config = _mini_site(tmp_path, "# Guide\n\n:::stub ch99_fake.nowhere\n")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "index.md" in result.stderr and "nowhere" in result.stderr
