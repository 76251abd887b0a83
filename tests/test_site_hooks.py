"""The site's build hooks in docs_hooks/, one function at a time (no build, no browser: fast).

Their effect on the built site is tested by tests/test_site_build.py and, in Chromium, tests/test_site_browser.py.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import material
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from docs_hooks.language_switch import drop_alternate_links  # noqa: E402
from docs_hooks.search_languages import fix_query_segmentation, point_base_at_language, split_index  # noqa: E402
from docs_hooks.zh_spacing import join_cjk_lines  # noqa: E402

MATERIAL_WORKERS = Path(material.__file__).parent / "templates" / "assets" / "javascripts" / "workers"


# ------------------------------------------------------------------------------------------- zh_spacing
@pytest.mark.parametrize("html, expected", [
    ("<p>也都能在你需要速度或部署时\n捕获计算图</p>", "<p>也都能在你需要速度或部署时捕获计算图</p>"),
    ("<li>第一行，\n    缩进的续行</li>", "<li>第一行，缩进的续行</li>"),  # a list item's continuation line
    ("<p>部署时\n<strong>捕获</strong>图</p>", "<p>部署时<strong>捕获</strong>图</p>"),
    ("<p><strong>检查内容。</strong> 检查项</p>", "<p><strong>检查内容。</strong>检查项</p>"),
    ("<p>使用\nPyTorch 的\n<code>nn</code></p>", "<p>使用\nPyTorch 的\n<code>nn</code></p>"),  # CJK next to Latin
    ("<p>第 1 章</p>", "<p>第 1 章</p>"),
    ("<p>甲\u3000乙</p>", "<p>甲\u3000乙</p>"),  # the ideographic space is meant
])
def test_whitespace_between_cjk_characters_is_removed(html, expected):
    assert join_cjk_lines(html) == expected


@pytest.mark.parametrize("protected", [
    "<pre><code># 张量\n# 梯度</code></pre>",
    "<code>中 文</code>",
    '<span class="arithmatex">\\(\\text{中 文}\\)</span>',
    '<div class="arithmatex">\\[\n\\text{损失}\n\\text{函数}\n\\]</div>',
    "<script>var s = '中 文';</script>",
])
def test_code_math_and_scripts_keep_their_spacing(protected):
    html = f"<p>前文\n后文</p>{protected}<p>前文\n后文</p>"
    assert join_cjk_lines(html) == f"<p>前文后文</p>{protected}<p>前文后文</p>"


# -------------------------------------------------------------------------------------- search_languages
def test_index_is_split_by_language_with_locations_relative_to_each():
    index = {"config": {"lang": ["en"]}, "docs": [
        {"location": "index.html", "title": "Home", "text": ""},
        {"location": "zh/index.html", "title": "首页", "text": ""},
        {"location": "zh/faq/overfitting.html#dropout", "title": "Dropout", "text": ""},
        {"location": "zhongwen.html", "title": "not Chinese", "text": ""},
    ]}
    parts = split_index(index, ["zh"])
    assert [d["location"] for d in parts[""]["docs"]] == ["index.html", "zhongwen.html"]
    assert [d["location"] for d in parts["zh"]["docs"]] == ["index.html", "faq/overfitting.html#dropout"]
    assert parts["zh"]["config"] == index["config"]


def test_base_of_a_chinese_page_points_at_its_language_folder():
    page_config = {"base": "../..", "features": [], "search": "../../assets/javascripts/workers/search.js"}
    page = f'<head><script id="__config" type="application/json">{json.dumps(page_config)}</script></head>'
    rewritten = point_base_at_language(page, "zh")
    found = json.loads(rewritten.split('application/json">')[1].split("</script>")[0])
    assert found == {**page_config, "base": "../../zh/"}


def test_installed_material_worker_gets_the_whole_query_segment(tmp_path):
    """Is the loop of the installed Material's query segmentation the one the hook knows, and is it corrected?"""
    workers = tmp_path / "assets" / "javascripts" / "workers"
    workers.mkdir(parents=True)
    originals = list(MATERIAL_WORKERS.glob("search.*.min.js"))
    assert len(originals) == 1
    (workers / originals[0].name).write_text(originals[0].read_text(encoding="utf-8"), encoding="utf-8")
    assert fix_query_segmentation(tmp_path)
    patched = (workers / originals[0].name).read_text(encoding="utf-8")
    assert len(patched) == len(originals[0].read_text(encoding="utf-8")) + 1  # one `<` became `<=`
    assert not fix_query_segmentation(tmp_path), "a corrected worker must not be corrected twice"


# --------------------------------------------------------------------------------------- language_switch
def test_alternate_links_leave_the_head_and_the_menu_stays():
    page = ('<head>\n<link rel="canonical" href="x">\n      <link rel="alternate" href="./" hreflang="en">\n'
            '      <link rel="alternate" href="../zh/a.html" hreflang="zh">\n</head>\n<body>'
            '<a href="../zh/a.html" hreflang="zh" class="md-select__link">中文</a></body>')
    out = drop_alternate_links(page)
    assert 'rel="alternate"' not in out and '<link rel="canonical" href="x">' in out
    assert '<a href="../zh/a.html" hreflang="zh" class="md-select__link">' in out
