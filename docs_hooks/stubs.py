"""MkDocs hook: expand `:::stub module.name` lines into the stub's signature and docstring.

A guide page never retypes an exercise's signature (CONTRIBUTING.md). A line

    :::stub ch01_tensors.add_bias_column

is replaced, at build time, by a ```python block holding the signature and docstring of
`add_bias_column` as written in `exercises/ch01_tensors.py`, with `...` as the body. The name may
be a function, a class (its signature, docstring and those of its methods) or `Class.method`.
A missing file or name stops the build: a guide must never show an exercise that does not exist.

On a Chinese page (docs/zh/) every `:::stub` line must be followed by the exercise's Chinese specification, an
admonition `!!! abstract "中文规格"` right after it; the English docstring above it stays, as it is what the learner's
file holds. A stub without one stops the build, and tests/test_zh_specs.py checks that each specification still
says what the English docstring says (the exercise id, the argument names, the shapes, the numbers and the
dotted names).
"""
from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

from mkdocs.exceptions import PluginError

STUB_LINE = re.compile(r"^(?P<indent>[ \t]*):::stub[ \t]+(?P<target>[\w.]+)[ \t]*$", re.MULTILINE)
EXERCISES_DIR = "exercises"
ZH_SPEC_TITLE = "中文规格"
ZH_SPEC_LINE = re.compile(r'^[ \t]*!!! abstract "' + ZH_SPEC_TITLE + r'"[ \t]*$')


def _header_and_docstring(node: ast.AST, lines: list[str]) -> list[str]:
    """Source lines from the first decorator to the end of the docstring (or of the signature)."""
    start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    end = first.end_lineno if has_doc else first.lineno - 1
    if end < node.lineno:  # `def f(): return 1` on one line: keep only the signature part
        text = ast.get_source_segment("\n".join(lines), node) or lines[node.lineno - 1]
        return [text.split(":", 1)[0] + ":"]
    return lines[start - 1 : end]


def _render(node: ast.AST, lines: list[str]) -> str:
    """Signature + docstring + `...` for a function; the same for a class and each of its methods."""
    out = _header_and_docstring(node, lines)
    body_indent = " " * (node.body[0].col_offset)
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for method in methods:
            out.append("")
            out.extend(_header_and_docstring(method, lines))
            out.append(" " * method.body[0].col_offset + "...")
        if not methods:
            out.append(body_indent + "...")
    else:
        out.append(body_indent + "...")
    return textwrap.dedent("\n".join(out))


def find_definition(tree: ast.Module, dotted: list[str]) -> ast.AST | None:
    """Walk `Class.method`-style names through top-level definitions."""
    scope = tree.body
    node = None
    for part in dotted:
        node = next(
            (n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part),
            None,
        )
        if node is None:
            return None
        scope = node.body
    return node


def render_stub(target: str, exercises_dir: Path) -> str:
    """The ```python block for `module.name` (raises PluginError when it cannot be found)."""
    module, _, name = target.partition(".")
    if not name:
        raise PluginError(f":::stub {target}: expected `module.function`, e.g. `ch01_tensors.add_bias_column`")
    path = exercises_dir / f"{module}.py"
    if not path.is_file():
        raise PluginError(f":::stub {target}: {path} does not exist (run `coursekit stubs` to generate it)")
    source = path.read_text(encoding="utf-8")
    node = find_definition(ast.parse(source, filename=str(path)), name.split("."))
    if node is None:
        raise PluginError(f":::stub {target}: no function or class `{name}` in {path}")
    return "```python\n" + _render(node, source.splitlines()) + "\n```"


def expand_stubs(markdown: str, exercises_dir: Path) -> str:
    """Replace every `:::stub` line, keeping its indentation (it may sit inside a tab or admonition)."""

    def replace(match: re.Match) -> str:
        block = render_stub(match.group("target"), exercises_dir)
        return textwrap.indent(block, match.group("indent"), lambda line: True)

    return STUB_LINE.sub(replace, markdown)


def stubs_with_zh_specs(markdown: str) -> list[tuple[str, str | None]]:
    """(target, its Chinese specification's text or None) for every `:::stub` line, in page order.

    The specification is the admonition `!!! abstract "中文规格"` on the first non-blank line after the stub line;
    its text is the admonition's body, dedented.
    """
    lines = markdown.splitlines()
    found = []
    for number, line in enumerate(lines):
        match = STUB_LINE.match(line)
        if not match:
            continue
        following = next((j for j in range(number + 1, len(lines)) if lines[j].strip()), None)
        if following is None or not ZH_SPEC_LINE.match(lines[following]):
            found.append((match.group("target"), None))
            continue
        indent = len(lines[following]) - len(lines[following].lstrip()) + 4
        body = []
        for text in lines[following + 1:]:
            if text.strip() and len(text) - len(text.lstrip()) < indent:
                break
            body.append(text[indent:])
        found.append((match.group("target"), textwrap.dedent("\n".join(body)).strip()))
    return found


def require_zh_specs(markdown: str) -> None:
    """A Chinese page shows no exercise without its Chinese specification."""
    missing = [target for target, spec in stubs_with_zh_specs(markdown) if not spec]
    if missing:
        raise PluginError(f":::stub {', '.join(missing)}: no Chinese specification after it "
                          f'(an admonition `!!! abstract "{ZH_SPEC_TITLE}"` on the next non-blank line)')


def on_page_markdown(markdown, page, config, files):
    if ":::stub" not in markdown:
        return markdown
    exercises_dir = Path(config["config_file_path"]).parent / EXERCISES_DIR
    try:
        if page.file.src_uri.startswith("zh/"):
            require_zh_specs(markdown)
        return expand_stubs(markdown, exercises_dir)
    except PluginError as err:
        raise PluginError(f"{page.file.src_uri}: {err}") from None
