"""`coursekit progress`: what is done, from the progress store the autograder keeps (.coursekit/progress.sqlite).

`--export FILE` writes it as JSON (or, for a .js file, as the script the website's progress page loads).
"""
from __future__ import annotations

import json
import time
from itertools import groupby
from pathlib import Path

from autograder.engine import catalog, i18n
from autograder.engine.progress_store import ProgressStore, export_script
from autograder.engine.textstyle import ReportStyle, bar, pad

_WORDS = {
    "title": {"en": "Your progress (last result of each exercise, from {path})",
              "zh": "你的进度（每个练习最近一次的结果，来自 {path}）"},
    "never": {"en": "not graded yet", "zh": "尚未评分"},
    "summary": {"en": "{done} of {total} exercises passed, {score:g} / {points:g} points.",
                "zh": "已通过 {done}/{total} 个练习，得分 {score:g} / {points:g}。"},
    "last run": {"en": "Last graded {when}.", "zh": "最近一次评分：{when}。"},
    "empty": {"en": "Nothing graded yet: run `pytest autograder` (or `coursekit watch`) first.",
              "zh": "还没有评分记录：请先运行 `pytest autograder`（或 `coursekit watch`）。"},
    "next": {"en": "Next: {id} {function}, guide: {guide}", "zh": "下一步：{id} {function}，指南：{guide}"},
}


def word(key: str, lang: str, **values) -> str:
    return _WORDS[key].get(lang, _WORDS[key]["en"]).format(**values)


def when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "-"


def _catalog(root: Path | None) -> dict:
    return catalog.read(root / "autograder") if root else catalog.read()


def export_data(store: ProgressStore, root: Path | None = None) -> dict:
    data = store.export()
    data["catalog"] = {e.id: {"function": e.function, "chapter": e.chapter, "points": e.points}
                       for e in _catalog(root).values()}
    return data


def export(store: ProgressStore, path: Path, root: Path | None = None) -> Path:
    data = export_data(store, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = export_script(data) if path.suffix == ".js" else json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def show(store: ProgressStore, lang: str = "en", colour: bool = False, root: Path | None = None) -> str:
    results, entries = store.results(), _catalog(root)
    style = ReportStyle(lang=lang, colour=colour)
    if not results:
        return word("empty", lang)
    lines = [word("title", lang, path=store.path), ""]
    for chapter, group in groupby(entries.values(), key=lambda e: e.chapter):
        group = list(group)
        passed = sum(results.get(e.id, {}).get("status") == "passed" for e in group)
        lines.append(f"{pad(i18n.chapter_title(chapter, lang), 36)} {bar(passed, len(group), style)} "
                     f"{passed:>3} / {len(group)}")
        for entry in group:
            result = results.get(entry.id)
            status = result["status"] if result else None
            shown = i18n.status_word(status, lang) if status else word("never", lang)
            shown = style.paint(pad(shown, 19), status) if status else pad(shown, 19)
            points = f"{result['score']:g} / {result['points']:g}" if result else f"- / {entry.points:g}"
            lines.append(f"  {entry.id:<5} {entry.function:<32} {shown} {points:>9}   "
                         f"{when(result['updated']) if result else ''}")
    done = sum(r["status"] == "passed" for r in results.values() if r["exercise"] in entries)
    score = sum(r["score"] for r in results.values() if r["exercise"] in entries)
    lines += ["", word("summary", lang, done=done, total=len(entries), score=score,
                       points=sum(e.points for e in entries.values()))]
    runs = store.runs(1)
    if runs:
        lines.append(word("last run", lang, when=when(runs[0]["finished"])))
    upcoming = next((e for e in entries.values() if results.get(e.id, {}).get("status") != "passed"), None)
    if upcoming:
        lines.append(word("next", lang, id=upcoming.id, function=upcoming.function,
                          guide=i18n.guide_link(upcoming.guide, lang)))
    return "\n".join(lines)
