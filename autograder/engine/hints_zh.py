"""The exercises' hints in Chinese, by exercise id, in the same order as the English ones next to the checks.

An exercise may carry its own `hints_zh=[...]`; this table fills in for those that don't. A translation is used only
when it has as many hints as the English list (tests/test_i18n.py says which are missing or stale).
"""
HINTS_ZH: dict[str, list[str]] = {}
