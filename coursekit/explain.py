"""`coursekit explain N.M`: every failing check of an exercise's last grading, in full: what was called, what came
back, what was expected, the named mistake, your own line, what your code printed. The score report shows the most
telling failure within a few lines; this shows all of them, from the progress store."""
from __future__ import annotations

import json

from autograder.engine import catalog, i18n, mistakes
from autograder.engine.progress_store import ProgressStore

_WORDS = {
    "unknown": {"en": "There is no exercise {id}.", "zh": "没有练习 {id}。"},
    "never": {"en": "Exercise {id} has not been graded yet: `pytest autograder --exercise {id}` grades it.",
              "zh": "练习 {id} 还没有评过分：`pytest autograder --exercise {id}` 会给它评分。"},
    "passed": {"en": "Exercise {id} `{function}` passed its last grading: nothing failed.",
               "zh": "练习 {id} `{function}` 最近一次评分已通过：没有未通过的检查。"},
    "header": {"en": "Exercise {id} `{function}`: {status}, {count} failing checks (last graded {when}).",
               "zh": "练习 {id} `{function}`：{status}，{count} 项检查未通过（最近评分：{when}）。"},
    "check": {"en": "--- {name}: {question}", "zh": "--- {name}：{question}"},
    "old store": {"en": "(this grading was recorded before the kit kept every failure; its first message:)",
                  "zh": "（这次评分记录于本工具保存全部失败信息之前；它的第一条信息是：）"},
}


def word(key: str, lang: str, **values) -> str:
    return _WORDS[key].get(lang, _WORDS[key]["en"]).format(**values)


def explain(exercise_id: str, store: ProgressStore, lang: str = "en", root=None) -> tuple[int, str]:
    import time

    entry = catalog.read(*([root / "autograder"] if root else [])).get(exercise_id)
    if entry is None:
        return 2, word("unknown", lang, id=exercise_id)
    result = store.results().get(exercise_id)
    if not result:
        return 1, word("never", lang, id=exercise_id)
    if result["status"] == "passed":
        return 0, word("passed", lang, id=exercise_id, function=entry.function)
    failures = json.loads(result.get("failures") or "[]")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(result["updated"]))
    lines = [word("header", lang, id=exercise_id, function=entry.function, count=len(failures) or 1, when=when,
                  status=i18n.status_word(result["status"], lang))]
    if not failures:
        return 0, "\n".join(lines + [word("old store", lang), result["message"] or ""])
    for failure in failures:
        lines += ["", word("check", lang, name=failure["check"], question=failure["question"])]
        named = failure.get("mistakes") or []
        lines += [mistakes.describe_in(m, lang) for m in named if m in mistakes.CATALOG]
        lines += (mistakes.without(failure["message"], named) if named else failure["message"]).splitlines()
        if failure.get("location"):
            path, line, source = failure["location"]
            lines.append(i18n.t("your code", lang, where=f"{path}, line {line}: {source}"))
        if failure.get("output"):
            printed = failure["output"].splitlines()
            lines.append(i18n.t("printed", lang, count=len(printed), shown=""))
            lines += [f"| {line}" for line in printed[:200]]
    guide = i18n.guide_link(entry.guide, lang)
    lines += ["", i18n.t("guide", lang, guide=guide)]
    return 0, "\n".join(lines)
