"""The learner's language (English or Chinese) and the words of the report frame in both.

The language comes from, in order: `--lang` (pytest) or `--lang` (coursekit), COURSEKIT_LANG, then the locale
(LC_ALL, LC_MESSAGES, LANG: anything starting with "zh" means Chinese). The checks' own messages stay as written
(English); named mistakes, hints, statuses and the frame around them are translated.
"""
from __future__ import annotations

import os

LANGUAGES = ("en", "zh")


def choose(explicit: str | None = None, environ: dict | None = None) -> str:
    """The language to use: an explicit choice, COURSEKIT_LANG, then the locale; English by default."""
    environ = os.environ if environ is None else environ
    for value in (explicit, environ.get("COURSEKIT_LANG")):
        if value:
            return _normalise(value)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:  # the first one set decides, as POSIX says
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _normalise(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("zh") or value in ("chinese", "中文"):
        return "zh"
    return "en"


_WORDS = {
    # statuses
    "passed": {"en": "passed", "zh": "通过"},
    "failed": {"en": "failed", "zh": "未通过"},
    "timeout": {"en": "failed (time limit)", "zh": "未通过（超时）"},
    "not attempted": {"en": "not attempted", "zh": "未作答"},
    "broken": {"en": "broken", "zh": "无法导入"},
    "instructor": {"en": "instructor grades", "zh": "由教师评分"},
    # the frame
    "graded": {"en": "Graded: {target}", "zh": "评分对象：{target}"},
    "autograder": {"en": "Autograder: sha256 {digest} ({state})", "zh": "评分程序：sha256 {digest}（{state}）"},
    "unmodified": {"en": "unmodified", "zh": "未被修改"},
    "modified": {"en": "MODIFIED: differs from autograder/INTEGRITY", "zh": "已被修改：与 autograder/INTEGRITY 不符"},
    "no manifest": {"en": "no manifest to compare with", "zh": "没有可对照的清单"},
    "chapter": {"en": "Chapter {number} · {topic}", "zh": "第 {number} 章 · {topic}"},
    "mistake": {"en": "Known mistake: {text}", "zh": "常见错误：{text}"},
    "hint": {"en": "Hint {level} of {count}: {text}", "zh": "提示 {level}/{count}：{text}"},
    "more hints": {"en": "(next hint: coursekit hint {id})", "zh": "（下一条提示：coursekit hint {id}）"},
    "last hint": {"en": "Read the guide section, then compare each step with its worked example: {guide}",
                  "zh": "请阅读指南的这一节，并把每一步与其中的示例逐一对照：{guide}"},
    "guide": {"en": "Guide: {guide}", "zh": "指南：{guide}"},
    "points": {"en": "points", "zh": "分"},
    "progress": {"en": "Progress", "zh": "进度"},
    "total": {"en": "Total: {score} / {points} points. Exercises: {parts}.",
              "zh": "总分：{score} / {points} 分。练习：{parts}。"},
    "count": {"en": "{count} {status}", "zh": "{status} {count} 个"},
    "instructor suffix": {"en": "  (+{points} checked by your instructor)", "zh": "（另有 {points} 分由教师检查）"},
    "instructor points": {"en": "Checked here: {points} points. {hidden} more points are checked only by your "
                                "instructor's grader: this learner edition holds no reference solutions, and those "
                                "checks need them (they pass or fail nothing here).",
                          "zh": "此处检查：{points} 分。另有 {hidden} 分只由教师的评分程序检查：本学习者版不含参考答案，"
                                "而这些检查需要参考答案（它们在这里既不算通过也不算失败）。"},
    "separator": {"en": ", ", "zh": "，"},
    "plots": {"en": "Loss curves saved: {paths}", "zh": "损失曲线已保存：{paths}"},
    # leading the learner to the bug
    "your code": {"en": "Your code: {where}", "zh": "你的代码：{where}"},
    "cut": {"en": "[{count} more lines of this message: {command} shows all]",
            "zh": "[这条信息还有 {count} 行：{command} 会显示全部]"},
    "more failed": {"en": "{count} more checks failed: {command} shows them.",
                    "zh": "另有 {count} 项检查未通过：{command} 会显示它们。"},
    "one more failed": {"en": "1 more check failed: {command} shows it.",
                        "zh": "另有 1 项检查未通过：{command} 会显示它。"},
    "explain": {"en": "`coursekit explain {id}`", "zh": "`coursekit explain {id}`"},
    "tb short": {"en": "`pytest autograder --exercise {id} --tb=short`",
                 "zh": "`pytest autograder --exercise {id} --tb=short`"},
    "printed": {"en": "Your code printed {count} lines{shown}:", "zh": "你的代码输出了 {count} 行{shown}："},
    "printed first": {"en": " (the first {count})", "zh": "（前 {count} 行）"},
    # what next
    "start here": {"en": "Start here: exercise {id} `{function}` in {path}. Read its guide section first: {guide} "
                         "(or on the site: `mkdocs serve`, then {url}; once: pip install -e \".[site]\"). Grade just it "
                         "with `pytest autograder --exercise {id}`, or let `coursekit watch` regrade it on every save.",
                   "zh": "从这里开始：{path} 中的练习 {id} `{function}`。先阅读它的指南：{guide}（或者在网站上："
                         "运行 `mkdocs serve`，然后打开 {url}；第一次先运行 pip install -e \".[site]\"）。"
                         "用 `pytest autograder --exercise {id}` 只给它评分，"
                         "或者让 `coursekit watch` 在每次保存时重新评分。"},
    "next": {"en": "Next: exercise {id} `{function}` ({status}) in {path}: `pytest autograder --exercise {id}` grades "
                   "just it.",
             "zh": "下一步：{path} 中的练习 {id} `{function}`（{status}）：`pytest autograder --exercise {id}` "
                   "只给它评分。"},
    "all done": {"en": "Every exercise graded here passed.", "zh": "这里评分的所有练习都通过了。"},
    "interrupted": {"en": "Interrupted: not graded: {ids}. Nothing is recorded for them; run again to grade them.",
                    "zh": "已中断：未评分：{ids}。它们的结果没有被记录；请重新运行来给它们评分。"},
    "interrupted status": {"en": "interrupted", "zh": "已中断"},
    "not attempted count": {"en": "{count} not attempted", "zh": "未作答 {count} 个"},
}

# Chapter topics, for the chapter titles of the Chinese report.
TOPICS_ZH = {
    "tensors": "张量", "autograd": "自动求导", "data": "数据加载", "modules": "模块", "forward_backward": "前向与反向传播",
    "losses": "损失函数", "optimization": "优化", "training_loop": "训练循环", "linear_regression": "线性回归",
    "logistic_regression": "逻辑回归", "overfitting": "过拟合与正则化", "devices": "设备",
}

def t(key: str, lang: str = "en", **values) -> str:
    """The text of `key` in `lang`, with `values` filled in."""
    entry = _WORDS[key]
    return entry.get(lang, entry["en"]).format(**values)


def status_word(status: str, lang: str = "en") -> str:
    return t(status, lang) if status in _WORDS else status


def chapter_title(chapter: str, lang: str = "en") -> str:
    """'ch01_tensors' -> 'Chapter 01 · Tensors' (or '第 01 章 · 张量')."""
    number, _, topic = chapter.partition("_")
    shown = TOPICS_ZH.get(topic, topic) if lang == "zh" else topic.replace("_", " ").capitalize()
    return t("chapter", lang, number=number[2:], topic=shown)


def guide_link(guide: str, lang: str = "en") -> str:
    """The guide section in the learner's language (the anchors are the same in both)."""
    return guide.replace("docs/en/", "docs/zh/", 1) if lang == "zh" else guide


def devices_line(text: str, lang: str = "en") -> str:
    if lang != "zh":
        return text
    if "No GPU was available" in text:
        return ("已检查的设备：cpu，以及在同设备检查器下的 meta。没有可用的 GPU，因此没有在 CUDA 或 MPS 上运行；"
                "meta 检查能发现创建在错误设备上的张量。")
    return text.replace("Devices checked:", "已检查的设备：")
