"""`coursekit hint N.M`: the next hint for an exercise, gentle to explicit; the last one points into the guide.

The level is kept in the progress store, so the score report shows the same hint from then on.
"""
from __future__ import annotations

from autograder.engine import catalog, i18n
from autograder.engine.progress_store import ProgressStore
from autograder.engine.textstyle import localised_hints

_WORDS = {
    "unknown": {"en": "There is no exercise {id}. Exercises are numbered like 1.1 ... 12.4 (see `coursekit progress`).",
                "zh": "没有练习 {id}。练习编号形如 1.1 … 12.4（见 `coursekit progress`）。"},
    "header": {"en": "Exercise {id} {function}", "zh": "练习 {id} {function}"},
    "last": {"en": "That was the last hint. `coursekit hint {id} --reset` starts again from the first.",
             "zh": "这是最后一条提示。`coursekit hint {id} --reset` 会从第一条重新开始。"},
    "more": {"en": "Still stuck? `coursekit hint {id}` again gives the next one.",
             "zh": "还是卡住了？再次运行 `coursekit hint {id}` 会给出下一条。"},
}


def levels(entry: catalog.Entry, lang: str) -> list[str]:
    hints = localised_hints(entry.id, entry.hints, lang, entry.hints_zh)
    return hints + [i18n.t("last hint", lang, guide=i18n.guide_link(entry.guide, lang))]


def next_hint(exercise_id: str, store: ProgressStore, lang: str = "en", *, reset: bool = False,
              show_all: bool = False, root=None) -> tuple[int, str]:
    """(exit code, text). Each call moves one level up; the report shows the level reached (the most explicit
    concrete hint: the last level, the pointer into the guide, is this command's alone)."""
    entries = catalog.read(*([root / "autograder"] if root else []))
    entry = entries.get(exercise_id)
    if entry is None:
        return 2, _WORDS["unknown"][lang].format(id=exercise_id)
    texts = levels(entry, lang)
    if reset:
        store.set_hint_level(exercise_id, 0)
        level = 0
    else:
        level = min(store.hint_level(exercise_id) + 1, len(texts) - 1)
        store.set_hint_level(exercise_id, level)
    shown = range(level + 1) if show_all else [level]
    lines = [_WORDS["header"][lang].format(id=entry.id, function=entry.function)]
    lines += [i18n.t("hint", lang, level=i + 1, count=len(texts), text=texts[i]) for i in shown]
    lines.append(_WORDS["last" if level == len(texts) - 1 else "more"][lang].format(id=exercise_id))
    return 0, "\n".join(lines)
