"""Does every ```python block on the site run, and print what its comments say?

Each page's blocks run in page order in one shared namespace, as a reader would run them. A block preceded
by `<!-- no-run: reason -->` (the nearest non-blank line above its fence) is skipped, and counted. Blocks
indented inside content tabs or admonitions are found too. A failure names the page and the block's line.

A top-level `print(...)  # claim` line whose claim reads as a value (a `torch.Size`, a tensor, a dtype, a list, a
number, True/False, a device, a shape like `(2, 4, 3)`; the words after `: ` are commentary) must print that value:
the comment is what a reader believes the code prints.
"""
from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PYTHON_LANGS = {"python", "py", "python3"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*\{?\.?(?P<lang>[\w+-]*)")
NO_RUN = re.compile(r"^\s*<!--\s*no-run\s*:(?P<reason>.*?)-->\s*$")


@dataclass
class Block:
    line: int          # 1-based line of the opening fence
    code: str
    no_run: str | None  # the reason, when the block is skipped


def extract_blocks(markdown: str) -> list[Block]:
    """The page's python blocks in order, dedented to their fence's indentation."""
    lines = markdown.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, lang = len(match["indent"]), match["fence"], match["lang"].lower()
        start, body = i, []
        i += 1
        while i < len(lines) and not re.match(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
            i += 1
        i += 1
        if lang in PYTHON_LANGS:
            previous = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
            marker = NO_RUN.match(previous)
            blocks.append(Block(start + 1, "\n".join(body) + "\n", marker["reason"].strip() if marker else None))
    return blocks


def site_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def page_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


PAGES_WITH_CODE = [p for p in site_pages() if extract_blocks(p.read_text(encoding="utf-8"))]

PRINT_LINE = re.compile(r"^print\((?P<args>.*)\)\s+#\s*(?P<comment>.+?)\s*$")
VALUE = re.compile(r"^(?:torch\.Size\(.*\)|tensor\(.*\)|torch\.\w+|True|False|None|cpu|meta|\[.*\]|\((?:\d+(?:, \d+)*,?)?\)"
                   r"|-?\d+(?:\.\d+)?(?:e-?\d+)?(?:\.\.\.)?)(?: (?:torch\.\w+|True|False|cpu|meta|-?\d+(?:\.\d+)?))*$")


def claim_of(comment: str) -> str | None:
    """The value a `# comment` claims is printed, or None for a comment that describes instead of quoting."""
    claim = re.split(r":\s|;\s|,\s(?=not\b)|\s{2,}|\s(?=\()|[：；，（]", comment, maxsplit=1)[0].strip().rstrip(",")
    return claim if VALUE.match(claim) else None


def matches(printed: str, claim: str) -> bool:
    """Does the printed text say what the claim says (a shape `(a, b)` may stand for torch.Size([a, b]))?"""
    printed, claim = " ".join(printed.split()), " ".join(claim.split())
    if claim.endswith("..."):
        return printed.startswith(claim[:-3])
    scalar = re.fullmatch(r"tensor\((-?[\d.e+-]+)\)", printed)  # a number claimed for a 0-dim tensor
    if re.fullmatch(r"-?\d+(?:\.\d+)?", claim) and (scalar or re.match(r"-?\d", printed)):
        decimals = len(claim.split(".")[1]) if "." in claim else 0
        value = float(scalar.group(1)) if scalar else float(printed.split()[0].rstrip(","))
        return abs(value - float(claim)) <= 0.5 * 10 ** -decimals + 1e-12
    shape = re.fullmatch(r"\((.*)\)", claim)
    if shape and printed.startswith("torch.Size(["):
        return printed.startswith("torch.Size([" + shape.group(1).rstrip(",") + "])")
    return printed == claim or printed.startswith(claim + " ") or printed.startswith(claim)


def instrument(code: str, block_line: int) -> tuple[str, dict[int, str]]:
    """Top-level print lines with a value claim call __site_print__(line, ...) instead; {page line: claim}."""
    claims, lines = {}, code.splitlines()
    for index, line in enumerate(lines):
        match = PRINT_LINE.match(line)
        claim = claim_of(match["comment"]) if match else None
        if claim:
            number = block_line + 1 + index
            claims[number] = claim
            lines[index] = f"__site_print__({number}, {match['args']})"
    return "\n".join(lines) + "\n", claims


def test_extractor_finds_indented_blocks_and_no_run_markers():
    """Does the extractor see tabbed blocks, skip non-python fences and read no-run reasons?"""
    page = ('=== "A"\n\n    ```python\n    x = 1\n    ```\n\n=== "B"\n\n    <!-- no-run: needs TensorFlow -->\n'
            '    ```python\n    import tensorflow\n    ```\n\n```bash\npip install .\n```\n\n````python\ny = 2\n````\n')
    blocks = extract_blocks(page)
    assert [(b.line, b.code, b.no_run) for b in blocks] == [
        (3, "x = 1\n", None), (10, "import tensorflow\n", "needs TensorFlow"), (18, "y = 2\n", None)]


def test_every_no_run_marker_has_a_reason_and_a_block():
    """Does every `<!-- no-run: ... -->` give a reason and sit right above a python block?"""
    problems = []
    for path in site_pages():
        text = path.read_text(encoding="utf-8")
        skipped = {b.line for b in extract_blocks(text) if b.no_run is not None}
        for number, line in enumerate(text.splitlines(), 1):
            if "no-run" not in line or not line.strip().startswith("<!--"):
                continue
            marker = NO_RUN.match(line)
            if not marker or not marker["reason"].strip():
                problems.append(f"{page_id(path)}:{number}: write `<!-- no-run: reason -->` with a reason")
            elif not any(number < b <= number + 2 for b in skipped):
                problems.append(f"{page_id(path)}:{number}: no python block right after this no-run marker")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PAGES_WITH_CODE, ids=page_id)
def test_page_code_runs(path, monkeypatch, record_property):
    """Do this page's python blocks run, in order, in one namespace?"""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    blocks = extract_blocks(path.read_text(encoding="utf-8"))
    printed: dict[int, str] = {}

    def site_print(number, *args, **kwargs):
        printed[number] = kwargs.get("sep", " ").join(str(a) for a in args)
        print(*args, **kwargs)

    namespace = {"__name__": "__site_page__", "__site_print__": site_print}
    claims: dict[int, str] = {}
    ran = skipped = 0
    dtype, grad = torch.get_default_dtype(), torch.is_grad_enabled()
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            for block in blocks:
                if block.no_run is not None:
                    skipped += 1
                    continue
                code, block_claims = instrument(block.code, block.line)
                claims.update(block_claims)
                try:
                    exec(compile(code, f"{page_id(path)}:{block.line}", "exec"), namespace)
                except Exception:  # noqa: BLE001 - report any failure with its page and line
                    pytest.fail(f"{page_id(path)}, python block at line {block.line} failed:\n"
                                f"{traceback.format_exc(limit=-3)}", pytrace=False)
                ran += 1
    finally:
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)
    record_property("blocks_run", ran)
    record_property("blocks_skipped_no_run", skipped)
    print(f"{page_id(path)}: ran {ran} python block(s), skipped {skipped} marked no-run, {len(claims)} printed value(s) "
          "checked against their comments")
    wrong = [f"line {n}: the comment says {claim!r}, the code prints {printed.get(n)!r}"
             for n, claim in sorted(claims.items()) if n not in printed or not matches(printed[n], claim)]
    assert not wrong, f"{page_id(path)}: comments that misstate what the code prints:\n" + "\n".join(wrong)


def test_claims_are_read_from_comments():
    """Which comments are checked, and how a printed value is compared with one."""
    assert claim_of("torch.Size([2, 3]) torch.float32 cpu") == "torch.Size([2, 3]) torch.float32 cpu"
    assert claim_of("tensor([ 3., 30.]): one mean per feature, (D,)") == "tensor([ 3., 30.])"
    assert claim_of("torch.Size([3, 3]), not (3,)") == "torch.Size([3, 3])"
    assert claim_of("centred values, True") is None and claim_of("works: copies when it has to") is None
    assert matches("torch.Size([2, 4, 3])", "(2, 4, 3)") and not matches("torch.Size([2, 4])", "(2, 4, 3)")
    assert matches("0.7403", "0.74") and not matches("0.76", "0.74") and matches("0.6666", "0.666...")
    assert not matches("[0.0905, 0.0658]", "[0.1, 0.0905]")
    assert matches("tensor(60.)", "60") and not matches("tensor(61.)", "60") and claim_of("(N, 1): one per sample") is None
    assert claim_of("tensor([ 3., 30.])：每个特征一个均值") == "tensor([ 3., 30.])"
    code, claims = instrument("x = 1\nprint(x)  # 1\nfor i in range(2):\n    print(i)  # 0\n", 10)
    assert claims == {12: "1"} and "__site_print__(12, x)" in code


def test_skipped_blocks_are_counted():
    """How many blocks are skipped on purpose? (Printed; TensorFlow ones are expected on the FAQ page.)"""
    skipped = {page_id(p): [b.no_run for b in extract_blocks(p.read_text(encoding="utf-8")) if b.no_run]
               for p in PAGES_WITH_CODE}
    skipped = {page: reasons for page, reasons in skipped.items() if reasons}
    total = sum(len(r) for r in skipped.values())
    print(f"{total} python block(s) marked no-run: {skipped}")
    for page, reasons in skipped.items():
        assert all(reasons), page
    if os.environ.get("SITE_MAX_NO_RUN"):
        assert total <= int(os.environ["SITE_MAX_NO_RUN"])
