"""MkDocs hook: teach jieba the course's terms before the search plugin segments the Chinese pages.

Material's search plugin splits Chinese text into words with jieba (joined by zero-width spaces, which the
`separator` in mkdocs.yml splits on). jieba's default dictionary cuts some course terms apart (过拟合 ->
过 / 拟合, 优化器 -> 优化 / 器), and a reader who searches for 过拟合 would find nothing. The terms in
jieba_terms.txt are loaded here, by absolute path, so the build works from any working directory.
"""
from pathlib import Path

TERMS = Path(__file__).with_name("jieba_terms.txt")


def on_config(config):
    try:
        import jieba
    except ImportError:  # the search plugin then indexes Chinese without segmentation
        return config
    jieba.setLogLevel(60)  # silence "Building prefix dict ..." on every build
    jieba.load_userdict(str(TERMS))
    return config
