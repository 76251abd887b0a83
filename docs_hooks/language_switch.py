"""MkDocs hook: the language switch is plain links, and no page asks for a sitemap that does not exist.

mkdocs-static-i18n points each page's language menu, and its `<link rel="alternate" hreflang>` tags, at the page's
twin in the other language. Material's script reads those tags as language roots: it fetches sitemap.xml beside
each of them (faq/sitemap.xml, zh/faq/sitemap.xml: 404 on every page, or a blocked request from file://) to map a
page onto the other language, which the twin links already do. The tags are removed from the page head; the menu's
links stay, and docs/assets/javascripts/language-switch.js adds the page's anchor (`#ex-1-2`) to them. The one
sitemap, sitemap.xml at the site's root, lists every page with its twin (hreflang) for search engines.
"""
from __future__ import annotations

import re

_ALTERNATE = re.compile(r'[ \t]*<link rel="alternate" href="[^"]*" hreflang="[^"]*">\n?')


def drop_alternate_links(output: str) -> str:
    head_end = output.find("</head>")
    if head_end < 0:
        return output
    return _ALTERNATE.sub("", output[:head_end]) + output[head_end:]


def on_post_page(output, page, config):
    return drop_alternate_links(output)


def on_post_template(output_content, template_name, config):  # 404.html
    return drop_alternate_links(output_content)
