"""The app's words in English and Simplified Chinese: one JSON file per language beside this
module (en.json, zh-CN.json), flat {key: text}, the same keys in both (tests/test_i18n.py checks
the keys and that each text has the same {placeholders}).  Pure (no gradio): the gr.I18n side is
``demo.ui_common.gradio_i18n`` / ``demo.ui_common.K``.

    from demo.i18n import t
    t("digits.model.label", "zh-CN")                                  # its Chinese (zh-CN.json)
    t("digits.caption.since", "en", answer=3, settled=9)              # str.format placeholders
    t("digits.caption.since", "zh")                                   # lang is normalised; missing
                                                                       # placeholders: KeyError

Two kinds of text:
- static (no "{" or "}"): labels, buttons, section headings.  They can go through Gradio's own
  translation: ``Blocks.launch(i18n=ui_common.gradio_i18n())`` and ``label=ui_common.K("digits.t.label")``,
  so the browser's language picks them (svelte-i18n: ICU message syntax, hence no braces).
- formatted ({name} placeholders, or LaTeX braces doubled as {{ }}): captions, HTML and errors
  made in Python; the view functions take ``lang`` and call ``t(key, lang, **values)``.
"""
from __future__ import annotations

import json
import string
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("en", "zh-CN")
DEFAULT = "en"


def normalize(lang) -> str:
    """A browser or link language -> "en" or "zh-CN" (zh, zh-Hans, zh_CN, zh-SG... -> zh-CN;
    anything else, None included -> en).  Traditional Chinese (zh-TW, zh-HK, zh-Hant) gets
    English rather than Simplified."""
    if not isinstance(lang, str):
        return DEFAULT
    s = lang.strip().replace("_", "-").lower()
    if s in ("zh", "zh-cn", "zh-sg", "zh-my") or s.startswith("zh-hans"):
        return "zh-CN"
    return DEFAULT


@lru_cache(maxsize=None)
def strings(lang: str = DEFAULT) -> dict[str, str]:
    """Every text of a language: {key: text} (a cached dict: do not modify)."""
    lang = lang if lang in LANGS else normalize(lang)
    data = json.loads((HERE / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{lang}.json must be a flat object of strings")
    return data


def placeholders(text: str) -> list[tuple[str, str]]:
    """The str.format fields of a text, sorted: [(name, format spec), ...] ("{{" is not one)."""
    return sorted((name, spec or "") for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


def is_static(text: str) -> bool:
    """A text Gradio's frontend can show as it is: no placeholders and no braces at all."""
    return "{" not in text and "}" not in text


def t(key: str, lang: str | None = DEFAULT, **fmt) -> str:
    """The text of ``key`` in ``lang`` (normalised), formatted with ``fmt`` when it has
    placeholders.  An unknown key raises KeyError (a typo should fail in tests, not show a key)."""
    table = strings(normalize(lang) if lang not in LANGS else lang)
    if key not in table:
        raise KeyError(f"no text {key!r} (demo/i18n/*.json)")
    text = table[key]
    if fmt or not is_static(text):
        return text.format(**fmt)
    return text


def gradio_translations() -> dict[str, dict[str, str]]:
    """{lang: {key: text}} of the static texts, for ``gr.I18n(**gradio_translations())``."""
    return {lang: {k: v for k, v in strings(lang).items() if is_static(v)} for lang in LANGS}


# -- messages ---------------------------------------------------------------------------------
# Errors a user can cause are raised with a key and fields (demo.errors.UserError) and put into
# words once, at the UI's edge; nothing here reads English text back.
