"""Does every exercise on a Chinese page have a Chinese specification that still says what the English one says?

The English docstring (embedded by docs_hooks/stubs.py from exercises/) is the contract; the Chinese specification
beside it (`!!! abstract "中文规格"`) is its translation. Drift is caught by what a translation must keep verbatim:
the exercise id, every argument name of the signature (and of a class's __init__ and forward), every shape
written in the docstring, such as `(N, D + 1)` or `(B, T_max, F)`, every number that is not a single digit
(`1e-8`, `0.99`, `88`) and every dotted name (`torch.linalg.lstsq`, `self.state`, `x.requires_grad_()`).
"""
from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
ZH_CHAPTERS = sorted((ROOT / "docs" / "zh" / "chapters").glob("ch*.md"))
EN_CHAPTERS = sorted((ROOT / "docs" / "en" / "chapters").glob("ch*.md"))
# A shape: parentheses holding only size names, digits, + - * and commas, e.g. (N, D + 1), (D,), (), (O, H).
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")
DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?")
NOT_NAMES = {"e.g", "i.e"}
SHAPE = re.compile(r"\((?:\s*(?:[A-Z][A-Za-z_0-9]*|\d+)(?:\s*[-+*]\s*(?:[A-Z][A-Za-z_0-9]*|\d+))*\s*,?)*\s*\)")


def _load_hook():
    spec = importlib.util.spec_from_file_location("docs_stub_hook", ROOT / "docs_hooks" / "stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stubs = _load_hook()


def definition(target: str) -> ast.AST:
    module, _, name = target.partition(".")
    tree = ast.parse((EXERCISES / f"{module}.py").read_text(encoding="utf-8"))
    node = stubs.find_definition(tree, name.split("."))
    assert node is not None, target
    return node


def english_contract(target: str) -> tuple[str, list[str], list[str], list[str]]:
    """(exercise id, argument names, shapes, numbers and dotted names) that the English docstrings of `target` state."""
    node = definition(target)
    docs = [ast.get_docstring(node) or ""]
    functions = [node]
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, ast.FunctionDef)]
        docs += [ast.get_docstring(m) or "" for m in methods]
        functions = [m for m in methods if m.name in ("__init__", "forward", "step", "backward")]
    exercise = re.search(r"Exercise (\d+\.\d+)", "\n".join(docs)).group(1)
    names = []
    for function in functions:
        arguments = function.args
        for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
            if arg.arg not in ("self", "ctx", "cls") and arg.arg not in names:
                names.append(arg.arg)
    shapes = []
    for shape in SHAPE.findall("\n".join(docs)):
        if shape not in shapes and shape != "()" or (shape == "()" and "()" not in shapes):
            shapes.append(shape)
    text = "\n".join(docs)
    literals = sorted({n for n in NUMBER.findall(text) if "." in n or "e" in n or len(n.lstrip("-")) >= 2} |
                      (set(DOTTED.findall(text)) - NOT_NAMES))
    return exercise, names, shapes, literals


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def zh_specs() -> list[tuple[str, str, str | None]]:
    return [(page.name, target, spec) for page in ZH_CHAPTERS
            for target, spec in stubs.stubs_with_zh_specs(page.read_text(encoding="utf-8"))]


SPECS = zh_specs()


def test_every_english_stub_has_a_chinese_twin():
    """The same exercises, in the same order, on each chapter's two pages."""
    for en, zh in zip(EN_CHAPTERS, ZH_CHAPTERS, strict=True):
        assert [t for t, _ in stubs.stubs_with_zh_specs(en.read_text(encoding="utf-8"))] == \
               [t for t, _ in stubs.stubs_with_zh_specs(zh.read_text(encoding="utf-8"))], zh.name
    assert len(SPECS) >= 50


def test_literal_patterns():
    text = "eps = 1e-8, alpha 0.99, z < -88, 2 steps; use torch.linalg.lstsq, self.state[p] and x.requires_grad_(), e.g"
    assert NUMBER.findall(text) == ["1e-8", "0.99", "-88", "2"]
    assert set(DOTTED.findall(text)) - NOT_NAMES == {"torch.linalg.lstsq", "self.state", "x.requires_grad_()"}


def test_shape_pattern_reads_docstring_shapes():
    text = "x: (N, D)  ->  (N, D + 1); b: () (a 0-dim tensor); (B, T_max, F); (D,) and f(x) (not a shape)"
    assert SHAPE.findall(text) == ["(N, D)", "(N, D + 1)", "()", "(B, T_max, F)", "(D,)"]


@pytest.mark.parametrize("page, target, spec", SPECS, ids=[t for _, t, _ in SPECS])
def test_chinese_spec_keeps_the_english_contract(page, target, spec):
    assert spec, f"docs/zh/chapters/{page}: `:::stub {target}` has no `!!! abstract \"中文规格\"` after it"
    assert len(re.findall(r"[\u4e00-\u9fff]", spec)) >= 20, f"{target}: the specification is not written in Chinese"
    exercise, names, shapes, literals = english_contract(target)
    assert f"练习 {exercise}" in spec, f"{target}: the Chinese specification should name 练习 {exercise}"
    missing_names = [n for n in names if not re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", spec)]
    assert not missing_names, f"{target}: arguments of the English signature not in the Chinese spec: {missing_names}"
    missing_shapes = [s for s in shapes if squeeze(s) not in squeeze(spec)]
    assert not missing_shapes, f"{target}: shapes of the English docstring not in the Chinese spec: {missing_shapes}"
    missing_literals = [x for x in literals if x not in spec]
    assert not missing_literals, f"{target}: numbers and names of the English docstring not in the Chinese spec: " \
                                 f"{missing_literals}"


def test_hook_refuses_a_zh_stub_without_a_spec():
    page = "# 第 1 章\n\n:::stub ch01_tensors.add_bias_column\n\n正文\n"
    with pytest.raises(PluginError, match="Chinese specification"):
        stubs.require_zh_specs(page)
    with_spec = page.replace("\n\n正文", '\n\n!!! abstract "中文规格"\n    **练习 1.1**：规格\n\n正文')
    stubs.require_zh_specs(with_spec)
    assert stubs.stubs_with_zh_specs(with_spec) == [("ch01_tensors.add_bias_column", "**练习 1.1**：规格")]
