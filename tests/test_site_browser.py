"""Does the built site work in a real browser, offline?

Builds the site into a temporary folder, serves it on 127.0.0.1 with Python's http.server, and drives
Debian's chromium through Playwright: math is rendered by the local KaTeX, search finds English and
Chinese terms, the language switch goes to a page's twin and back, and no request leaves 127.0.0.1.
Screenshots go to $SITE_SCREENSHOTS (default: artifacts/screenshots/ in the repository).

Needs /usr/bin/chromium (`apt-get install chromium`; never `playwright install`). Without it the tests
are skipped, except under CI=true, where a missing browser is a failure.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    _require_browser()
    site = tmp_path_factory.mktemp("browser-site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
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


@pytest.fixture()
def page(browser, base_url, requests_seen):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("request", lambda request: requests_seen.append(request.url))
    # anything not local is recorded above, then refused here so that a stray request cannot hang a test
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
                  or route.request.url.startswith(("data:", "blob:")) else route.abort())
    yield page
    context.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("SITE_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_math_is_rendered_by_local_katex(page, base_url, screenshots):
    """Is every formula on the regression page typeset by KaTeX, with no raw TeX left in the text?"""
    page.goto(f"{base_url}/article/regression/")
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


def _search(page, query: str) -> list[str]:
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.fill(query)
    box.press("End")  # material searches on keyup; fill() alone (and IME-less CJK typing) sends none
    page.wait_for_selector(".md-search-result__item a")
    return page.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")


def test_search_finds_an_english_term(page, base_url, screenshots):
    """Does searching 'momentum' on the English site list the optimizer pages?"""
    page.goto(f"{base_url}/")
    hrefs = _search(page, "momentum")
    assert any("/faq/choosing-an-optimizer/" in h for h in hrefs), hrefs
    page.screenshot(path=str(screenshots / "en-home-search.png"))


def test_search_finds_a_chinese_term(page, base_url, screenshots):
    """Does searching 过拟合 (overfitting) on the Chinese site find the Chinese overfitting page?"""
    page.goto(f"{base_url}/zh/")
    hrefs = _search(page, "过拟合")
    assert any("/zh/faq/overfitting/" in h for h in hrefs), hrefs
    page.goto(f"{base_url}/zh/")
    hrefs = _search(page, "优化器")
    assert any("/zh/" in h for h in hrefs), hrefs


def _switch_language(page, hreflang: str):
    page.locator(".md-header__option .md-select").first.hover()
    page.locator(f"a.md-select__link[hreflang='{hreflang}']").first.click()


def test_language_switch_goes_to_the_twin_page_and_back(page, base_url, screenshots):
    """From an English page, does the language menu open its Chinese twin, and from there the English page?"""
    page.goto(f"{base_url}/faq/overfitting/")
    assert page.locator("html").get_attribute("lang") == "en"
    _switch_language(page, "zh")
    page.wait_for_url(f"{base_url}/zh/faq/overfitting/")
    assert page.locator("html").get_attribute("lang") == "zh"
    assert "过拟合" in page.locator("h1").inner_text()
    # dark theme: the palette toggle switches to material's slate scheme
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_selector(".arithmatex .katex")
    page.screenshot(path=str(screenshots / "zh-overfitting-dark.png"))
    _switch_language(page, "en")
    page.wait_for_url(f"{base_url}/faq/overfitting/")
    assert page.locator("h1").inner_text().startswith("How do I avoid overfitting")


def test_no_request_left_localhost(requests_seen, base_url):
    """Did every request the pages made go to the local server (fonts, scripts, search index included)?"""
    assert requests_seen, "no requests were recorded: did the other browser tests run?"
    outside = sorted({url for url in requests_seen if not url.startswith((base_url, "data:", "blob:"))})
    assert not outside, f"requests left 127.0.0.1: {outside}"
