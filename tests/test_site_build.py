"""Does the course website build strictly, in both languages, with nothing loaded from outside?

Builds the site once into a temporary folder with `mkdocs build --strict` (so a broken page, link, anchor
or `:::stub` fails here), then inspects the built HTML. Also tests the `:::stub` hook in docs_hooks/.
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
        stem = page.removesuffix(".md")
        path = "index.html" if stem == "index" else f"{stem}/index.html"
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
    html = (site / "article" / "regression" / "index.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in html
    assert "assets/katex/katex.min.js" in html and "assets/javascripts/katex-init.js" in html
    fonts = list((site / "assets" / "katex" / "fonts").glob("*.woff2"))
    assert len(fonts) >= 20, "KaTeX fonts missing"
    assert (site / "assets" / "katex" / "LICENSE").is_file()


def test_search_index_segments_chinese(site):
    """Does the search index hold both languages, with Chinese split into words by jieba?"""
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "zh" not in index["config"]["lang"], "lunr.zh needs node's jieba and breaks search in the browser"
    assert "\\u200b" in index["config"]["separator"], "the separator must split on jieba's zero-width spaces"
    separator = re.compile(index["config"]["separator"])
    zh_words = set()
    for doc in index["docs"]:
        if doc["location"].startswith("zh/"):
            zh_words.update(separator.split(doc["title"] + " " + doc["text"]))
    assert {"过拟合", "优化器", "梯度"} <= zh_words, "Chinese words are not segmented in the search index"
    assert any(not d["location"].startswith("zh/") and "overfitting" in d["text"].lower() for d in index["docs"])


def test_language_switcher_links_each_page_to_its_twin(site):
    """Does the language menu of an English page point to the same page in Chinese, and back?"""
    en = (site / "faq" / "overfitting" / "index.html").read_text(encoding="utf-8")
    zh = (site / "zh" / "faq" / "overfitting" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../zh/faq/overfitting/" hreflang="zh"' in en
    assert 'href="../../../faq/overfitting/" hreflang="en"' in zh


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
