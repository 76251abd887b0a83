"""Does the built site work in a real browser, served and opened from disk, offline?

Builds the site once into a temporary folder (`mkdocs build --strict`, the same build a reader makes) and drives
Debian's chromium through Playwright, over 127.0.0.1 (Python's http.server) and from file:// (the offline copy):
math is rendered by the local KaTeX, every code block fits its column, Chinese text has no stray spaces, each
language searches its own pages (identifiers and Chinese words found whole), the language switch goes to a page's
twin and keeps the anchor, the progress page draws a styled table from a progress-data.js fixture, and no request
leaves the site or asks for a missing file. Screenshots go to $SITE_SCREENSHOTS (default: artifacts/screenshots/).

Needs /usr/bin/chromium (`apt-get install chromium`; never `playwright install`). Without it the tests
are skipped, except under CI=true, where a missing browser is a failure.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
WIDTHS = (1280, 1600, 390)  # desktop, wide desktop, phone
# Han (with extension A and compatibility ideographs), CJK punctuation, full-width forms: as docs_hooks/zh_spacing.py
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"

sys.path.insert(0, str(ROOT))


def _require_browser():
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found (install Debian's package: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright python package is not installed"
    if problem and ON_CI:
        pytest.fail(f"browser tests cannot run under CI: {problem}", pytrace=False)
    if problem:
        pytest.skip(f"browser tests skipped: {problem}")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def progress_fixture() -> dict:
    """An export as the autograder writes it: the real exercise catalog, three results (passed, failed, broken)."""
    from autograder.engine import catalog

    now = time.time()
    entries = catalog.read()
    results = {}
    for exercise, status in (("1.1", "passed"), ("1.2", "failed"), ("2.1", "broken")):
        entry = entries[exercise]
        results[exercise] = {"exercise": exercise, "chapter": entry.chapter, "function": entry.function,
                             "status": status, "score": entry.points if status == "passed" else 0,
                             "points": entry.points, "updated": now}
    return {"exported": now, "results": results, "hint_levels": {}, "runs": [],
            "catalog": {e.id: {"function": e.function, "chapter": e.chapter, "points": e.points}
                        for e in entries.values()}}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    _require_browser()
    from autograder.engine.progress_store import export_script

    site = tmp_path_factory.mktemp("browser-site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # the built copy only: the learner's own docs/assets/progress/progress-data.js is never touched
    (site / "assets" / "progress" / "progress-data.js").write_text(export_script(progress_fixture()),
                                                                  encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def base_url(site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def requests_seen():
    return []


@pytest.fixture(scope="module")
def missing_files():
    """Every response of 400 and above, and every request that failed, in any page of any test."""
    return []


def _new_page(browser, allowed: tuple[str, ...], requests_seen, missing_files):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    # A guard against a hang, not a speed limit: with the other test files running beside this one (pytest -n), a
    # page of the survey once took more than 15 s to load on two busy cores.
    page.set_default_timeout(60_000)
    page.on("request", lambda request: requests_seen.append(request.url))
    page.on("response", lambda response: response.status >= 400
            and missing_files.append(f"{response.status} {response.url} (from {page.url})"))
    page.on("requestfailed", lambda request: missing_files.append(
        f"failed {request.url}: {request.failure} (from {page.url})"))
    # anything not local is recorded above, then refused here so that a stray request cannot hang a test
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed)
                  else route.abort())
    return context, page


@pytest.fixture()
def page(browser, base_url, site, requests_seen, missing_files):
    context, page = _new_page(browser, (base_url, site.as_uri(), "data:", "blob:"), requests_seen, missing_files)
    yield page
    context.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("SITE_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ------------------------------------------------------------------------------ every page, both languages
SURVEY_JS = """({cjk}) => {
  // what a reader could open: every hint expanded, every content tab shown (same column as the active one)
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const style = document.createElement("style");
  style.textContent = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }";
  document.head.appendChild(style);
  const blocks = [...document.querySelectorAll(".md-content pre > code")].map(code => {
    const box = code.getBoundingClientRect(), button = code.parentElement.querySelector(".md-code__nav");
    const textRight = box.left + code.clientLeft + code.clientWidth - parseFloat(getComputedStyle(code).paddingRight);
    return {scroll: code.scrollWidth, client: code.clientWidth,
            button: button ? button.getBoundingClientRect().left - textRight : null,
            first: code.textContent.split("\\n")[0].slice(0, 60)};
  });
  style.remove();
  const between = new RegExp(`[${cjk}][ \\\\t\\\\n\\\\r\\\\f\\\\u00a0]+[${cjk}]`, "u");
  const spaces = [];
  if (document.documentElement.lang === "zh") {
    document.querySelectorAll(".md-content p, .md-content li").forEach(element => {
      const copy = element.cloneNode(true);  // code and math keep their own spacing; nested lists are checked alone
      copy.querySelectorAll("code, pre, .arithmatex, .katex, ul, ol").forEach(node => node.replaceWith("\\u25a1"));
      const match = copy.textContent.match(between);
      if (match) spaces.push(copy.textContent.slice(Math.max(0, match.index - 12), match.index + 14));
    });
  }
  return {blocks, spaces};
}"""


COPY_BUTTONS_MOUNTED = "[...document.querySelectorAll('.md-content pre')].every(p => p.querySelector('.md-code__nav'))"


def site_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")


@pytest.fixture(scope="module")
def survey(browser, site, base_url, requests_seen, missing_files) -> dict[str, dict]:
    """Every page of both languages, loaded once over HTTP and measured at 1280, 1600 and 390 px."""
    context, page = _new_page(browser, (base_url, "data:", "blob:"), requests_seen, missing_files)
    found = {}
    try:
        for relative in site_pages(site):
            page.goto(f"{base_url}/{relative}", wait_until="domcontentloaded")
            page.wait_for_function(COPY_BUTTONS_MOUNTED)  # Material adds them after the page has loaded
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                found[f"{relative} @ {width}px"] = page.evaluate(SURVEY_JS, {"cjk": CJK})
    finally:
        context.close()
    return found


def test_every_page_of_both_languages_was_surveyed(survey, site):
    """Did the survey open all pages, English and Chinese, with their code blocks?"""
    pages = site_pages(site)
    assert len(pages) >= 40 and any(p.startswith("zh/") for p in pages) and "index.html" in pages
    assert len(survey) == len(pages) * len(WIDTHS)
    assert sum(len(m["blocks"]) for m in survey.values()) >= 200 * len(WIDTHS)
    hidden = [f"{where}: {b['first']!r}" for where, m in survey.items() for b in m["blocks"] if b["client"] == 0]
    assert not hidden, "blocks that were not laid out (so not measured): " + "; ".join(hidden[:10])


def test_code_blocks_never_scroll_sideways(survey):
    """At 1280, 1600 and 390 px, is every code block (hints and all tabs included) as wide as its column or narrower?"""
    scrolling = [f"{where}: {b['scroll']} > {b['client']} px, {b['first']!r}"
                 for where, measured in survey.items() for b in measured["blocks"] if b["scroll"] > b["client"]]
    assert not scrolling, f"{len(scrolling)} code blocks scroll sideways:\n" + "\n".join(scrolling[:40])


def test_copy_button_covers_no_code(survey):
    """Does every line of code end before the copy button (the text box stops at the button's left edge)?"""
    with_button = [b for measured in survey.values() for b in measured["blocks"] if b["button"] is not None]
    assert len(with_button) >= 200, "Material's copy buttons were not found on the code blocks"
    covered = [f"{where}: {b['first']!r} ({-b['button']:.1f} px under the button)"
               for where, measured in survey.items() for b in measured["blocks"]
               if b["button"] is not None and b["button"] < 0]
    assert not covered, "the copy button covers code:\n" + "\n".join(covered[:40])


def test_chinese_text_has_no_space_between_cjk_characters(survey):
    """Does no paragraph or list item of a Chinese page show whitespace between two CJK characters?"""
    zh = {where: m for where, m in survey.items() if where.startswith("zh/") and where.endswith(f"{WIDTHS[0]}px")}
    assert len(zh) >= 20
    spaced = [f"{where}: {text!r}" for where, measured in zh.items() for text in measured["spaces"]]
    assert not spaced, f"{len(spaced)} places show a space between CJK characters:\n" + "\n".join(spaced[:60])


def test_math_is_rendered_by_local_katex(page, base_url, screenshots):
    """Is every formula on the regression page typeset by KaTeX, with no raw TeX left in the text?"""
    page.goto(f"{base_url}/article/regression.html")
    page.wait_for_selector(".arithmatex .katex")
    formulas = page.locator(".arithmatex")
    rendered = page.locator(".arithmatex .katex")
    assert formulas.count() >= 6 and rendered.count() == formulas.count()
    text = page.locator("article").inner_text()
    for raw in ("$$", "\\(", "\\[", "\\frac", "\\theta"):
        assert raw not in text, f"raw TeX {raw!r} is visible on the page"
    # the KaTeX fonts loaded from the site itself
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    page.locator("img[src$='linear-regression-loss.png']").scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the header finish its title transition
    page.screenshot(path=str(screenshots / "en-regression-math.png"), full_page=False)


# ------------------------------------------------------------------------------------------------ search
def _search(page, query: str) -> list[str]:
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.fill(query)
    box.press("End")  # material searches on keyup; fill() alone (and IME-less CJK typing) sends none
    page.wait_for_selector(".md-search-result__item a")
    return page.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")


def _marks(page) -> list[str]:
    return page.locator(".md-search-result__item mark").evaluate_all("els => els.map(e => e.textContent)")


def test_search_finds_an_english_term(page, base_url, screenshots):
    """Does searching 'momentum' on the English site list the optimizer pages?"""
    page.goto(f"{base_url}/index.html")
    hrefs = _search(page, "momentum")
    assert any("/faq/choosing-an-optimizer.html" in h for h in hrefs), hrefs
    page.screenshot(path=str(screenshots / "en-home-search.png"))


def test_search_finds_a_chinese_term(page, base_url, screenshots):
    """Does searching 过拟合 (overfitting) on the Chinese site find the Chinese overfitting page?"""
    page.goto(f"{base_url}/zh/index.html")
    hrefs = _search(page, "过拟合")
    assert any("/zh/faq/overfitting.html" in h for h in hrefs), hrefs
    page.goto(f"{base_url}/zh/index.html")
    hrefs = _search(page, "优化器")
    assert hrefs and all("/zh/" in h for h in hrefs), hrefs


@pytest.mark.parametrize("start, inside", [("index.html", False), ("zh/index.html", True)])
def test_each_language_searches_its_own_pages(page, base_url, start, inside):
    """Does 'dropout' (a word of both languages' pages) list only English pages on the English site, and only
    Chinese pages on the Chinese site?"""
    page.goto(f"{base_url}/{start}")
    hrefs = _search(page, "dropout")
    assert any("/faq/overfitting.html" in h for h in hrefs), hrefs
    wrong = [h for h in hrefs if urlparse(h).path.startswith("/zh/") != inside]
    assert not wrong, f"search on {start} offers pages of the other language: {wrong}"


@pytest.mark.parametrize("query", ["dropout", "x"])  # "x" is found inside formulas: highlighted TeX
def test_search_previews_show_rendered_math(page, base_url, screenshots, query):
    """Are the formulas in search previews (all results, scrolled into view) typeset by KaTeX, no raw TeX showing?"""
    page.goto(f"{base_url}/index.html")
    _search(page, query)
    page.wait_for_selector(".md-search-result__item .katex")
    shown = -1
    while shown != page.locator(".md-search-result__item").count():  # material renders results as they scroll in
        shown = page.locator(".md-search-result__item").count()
        page.locator(".md-search__scrollwrap").evaluate("wrap => { wrap.scrollTop = wrap.scrollHeight; }")
        page.wait_for_timeout(200)
    preview = page.locator(".md-search-result__list").evaluate(
        "list => { const c = list.cloneNode(true); c.querySelectorAll('.katex').forEach(k => k.remove());"
        " return c.textContent; }")
    for raw in ("\\(", "\\)", "\\[", "\\frac", "\\mathbb", "\\tilde", "\\top"):
        assert raw not in preview, f"raw TeX {raw!r} shows in the previews for {query!r}: " \
                                   f"{preview[max(0, preview.find(raw) - 60):preview.find(raw) + 60]!r}"
    page.screenshot(path=str(screenshots / f"en-search-math-{query}.png"))


def test_identifier_is_found_and_highlighted_whole(page, base_url):
    """Does 'zero_grad' find the training-loop chapter, highlighting zero_grad (not 'zero' and 'grad' apart)?"""
    page.goto(f"{base_url}/index.html")
    hrefs = _search(page, "zero_grad")
    assert "/chapters/ch08-training-loop.html" in urlparse(hrefs[0]).path, hrefs[:5]
    marks = _marks(page)
    assert marks and all(m.lower().startswith("zero_grad") for m in marks), marks
    assert all(parse_qs(urlparse(h).query).get("h", ["zero_grad"]) == ["zero_grad"] for h in hrefs), hrefs[:5]


def test_chinese_word_is_searched_and_highlighted_whole(page, base_url, screenshots):
    """Does 过拟合 match and highlight 过拟合 whole (not 过 of 没见过 or 过程), in the previews and on the page?
    (Material's worker, as built, never tries a whole query as one word: docs_hooks/search_languages.py.)"""
    page.goto(f"{base_url}/zh/index.html")
    hrefs = _search(page, "过拟合")
    marks = _marks(page)
    assert marks and set(marks) == {"过拟合"}, f"highlighted: {sorted(set(marks))}"
    terms = {unquote(parse_qs(urlparse(h).query).get("h", [""])[0]) for h in hrefs} - {""}
    assert terms == {"过拟合"}, f"the result links highlight {terms} on the page"
    page.goto(next(h for h in hrefs if "/zh/faq/overfitting.html" in h))
    page.wait_for_selector("mark[data-md-highlight]")
    on_page = set(page.locator("mark[data-md-highlight]").evaluate_all("els => els.map(e => e.textContent)"))
    assert on_page == {"过拟合"}, on_page
    page.screenshot(path=str(screenshots / "zh-overfitting-highlight.png"))


# ------------------------------------------------------------------------------------------ language switch
def _switch_language(page, hreflang: str):
    page.locator(".md-header__option .md-select").first.hover()
    page.locator(f"a.md-select__link[hreflang='{hreflang}']").first.click()


def test_language_switch_goes_to_the_twin_page_and_back(page, base_url, screenshots):
    """From an English page, does the language menu open its Chinese twin, and from there the English page?"""
    page.goto(f"{base_url}/faq/overfitting.html")
    assert page.locator("html").get_attribute("lang") == "en"
    _switch_language(page, "zh")
    page.wait_for_url(f"{base_url}/zh/faq/overfitting.html")
    assert page.locator("html").get_attribute("lang") == "zh"
    assert "过拟合" in page.locator("h1").inner_text()
    # dark theme: the palette toggle switches to material's slate scheme
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_selector(".arithmatex .katex")
    page.screenshot(path=str(screenshots / "zh-overfitting-dark.png"))
    _switch_language(page, "en")
    page.wait_for_url(f"{base_url}/faq/overfitting.html")
    assert page.locator("h1").inner_text().startswith("How do I avoid overfitting")


def test_language_switch_keeps_the_exercise_anchor(page, base_url):
    """Opened at #ex-1-2, or moved to #ex-1-3 by the table of contents, does the switch land on the same exercise?"""
    page.goto(f"{base_url}/chapters/ch01-tensors.html#ex-1-2")
    _switch_language(page, "zh")
    page.wait_for_url(f"{base_url}/zh/chapters/ch01-tensors.html#ex-1-2")
    assert "1.2" in page.locator("#ex-1-2").inner_text()
    page.locator(".md-sidebar--secondary a[href='#ex-1-3']").first.click()
    page.wait_for_url("**#ex-1-3")
    _switch_language(page, "en")
    page.wait_for_url(f"{base_url}/chapters/ch01-tensors.html#ex-1-3")
    assert page.locator("#ex-1-3").inner_text().startswith("Exercise 1.3")


# ----------------------------------------------------------------------------------------- the offline copy
def test_offline_copy_opens_pages_through_its_links(page, site, screenshots):
    """From site/index.html opened as a file, do the navigation and the language switch open pages (not folders),
    with their math, and does the progress page draw its data?"""
    page.goto((site / "index.html").as_uri())
    page.locator(".md-nav--primary a.md-nav__link[href$='background.html']").first.click()
    page.wait_for_url("**/article/background.html")
    assert page.locator("article h1").inner_text().startswith("Background")
    page.locator(".md-nav--primary a.md-nav__link[href$='ch01-tensors.html']").first.click()
    page.wait_for_url("**/chapters/ch01-tensors.html")
    page.wait_for_selector(".arithmatex .katex")
    _switch_language(page, "zh")
    page.wait_for_url((site / "zh" / "chapters" / "ch01-tensors.html").as_uri())
    assert page.locator("article h1").inner_text().startswith("第 1 章")
    page.locator("a.md-header__button.md-logo").click()
    page.wait_for_url((site / "zh" / "index.html").as_uri())
    links = page.locator(".md-nav--primary a.md-nav__link[href]").evaluate_all("els => els.map(e => e.href)")
    pages = [link for link in links if link.startswith("file:") and "#" not in link]
    assert pages and all(link.endswith(".html") for link in pages), [p for p in pages if not p.endswith(".html")]
    page.screenshot(path=str(screenshots / "zh-offline-home.png"))
    # the copy's progress page draws the progress-data.js it was built with
    page.goto((site / "progress.html").as_uri())
    assert page.get_attribute('tr[data-exercise="1.1"]', "data-status") == "passed"


@pytest.mark.parametrize("start, query, expected", [
    ("index.html", "momentum", "faq/choosing-an-optimizer.html"),
    ("zh/index.html", "过拟合", "zh/faq/overfitting.html"),
])
def test_offline_copy_searches(page, site, start, query, expected):
    """Opened from disk, does search find pages of the language and open them?"""
    page.goto((site / start).as_uri())
    hrefs = _search(page, query)
    target = next((h for h in hrefs if urlparse(h).path.endswith(expected)), None)
    assert target, hrefs
    page.locator(f".md-search-result__item a[href='{target}']").first.click()
    page.wait_for_url(f"{(site / expected).as_uri()}**")
    assert page.locator("article h1").count() == 1


# ---------------------------------------------------------------------------------------------- progress page
@pytest.mark.parametrize("language, prefix", [("en", ""), ("zh", "zh/")])
def test_progress_page_draws_styled_tables_titled_like_the_guides(page, base_url, site, screenshots, language,
                                                                 prefix):
    """With a progress-data.js, is each chapter a Material-styled table (padded, separated columns) under the
    guide's title in the page's language, linked to the guide and its exercises?"""
    page.goto(f"{base_url}/{prefix}progress.html")
    page.wait_for_selector('#coursekit-progress tr[data-exercise="1.1"]')
    assert page.get_attribute('tr[data-exercise="1.1"]', "data-status") == "passed"
    assert page.get_attribute('tr[data-exercise="2.1"]', "data-status") == "broken"
    headings = page.locator("#coursekit-progress h3").all_inner_texts()
    chapters = {entry["chapter"] for entry in progress_fixture()["catalog"].values()}
    assert len(headings) == len(chapters) >= 10 and not any("ch01_" in h or "_" in h.split()[0] for h in headings), headings
    first = "第 1 章" if language == "zh" else "Chapter 1"
    assert headings[0].startswith(first), headings[0]
    header = page.locator("#coursekit-progress table").first.locator("th").all_inner_texts()
    assert header[:2] == (["练习", "函数"] if language == "zh" else ["Exercise", "Function"]), header
    table = page.locator("#coursekit-progress .md-typeset__table > table").first
    assert table.get_attribute("class") is None  # Material styles `table:not([class])`
    cell = page.locator('tr[data-exercise="1.1"] td').first
    padding = cell.evaluate("td => { const style = getComputedStyle(td);"
                            " return parseFloat(style.paddingLeft) + parseFloat(style.paddingRight); }")
    assert padding >= 16, f"table cells are not padded ({padding} px): columns run together"
    boxes = page.locator('tr[data-exercise="1.1"] td').evaluate_all(
        "tds => tds.map(td => { const r = td.getBoundingClientRect(); return [r.left, r.right]; })")
    assert all(right <= next_left + 0.5 for (_, right), (next_left, _) in zip(boxes, boxes[1:])), boxes
    chapter_link = page.locator("#coursekit-progress h3 a").first.get_attribute("href")
    exercise_link = page.locator('tr[data-exercise="1.2"] td a').first.get_attribute("href")
    assert chapter_link == "chapters/ch01-tensors.html" and exercise_link == "chapters/ch01-tensors.html#ex-1-2"
    assert (site / prefix / chapter_link).is_file()
    page.screenshot(path=str(screenshots / f"{language}-progress.png"), full_page=True)


# --------------------------------------------------------------------------------------- nothing missing, local
def test_no_page_asks_for_a_missing_file(survey, missing_files):
    """Across every page and every test above, did each request succeed (no sitemap.xml or other 404)?"""
    assert survey, "the survey did not run"
    problems = sorted({entry for entry in missing_files if "net::ERR_ABORTED" not in entry or "sitemap" in entry})
    assert not problems, "requests that failed:\n" + "\n".join(problems[:40])


def test_no_request_left_localhost(requests_seen, base_url, site):
    """Did every request the pages made stay on the site (fonts, scripts, search index included)?"""
    assert requests_seen, "no requests were recorded: did the other browser tests run?"
    local = (base_url, site.as_uri(), "data:", "blob:", "about:")
    outside = sorted({url for url in requests_seen if not url.startswith(local)})
    assert not outside, f"requests left the site: {outside}"
