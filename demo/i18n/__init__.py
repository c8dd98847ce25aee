"""The app's words in English and Simplified Chinese: one JSON file per language beside this
module (en.json, zh-CN.json), flat {key: text}, the same keys in both (tests/test_i18n.py checks
the keys and that each text has the same {placeholders}).  Pure (no gradio): the gr.I18n side is
``demo.ui_common.gradio_i18n`` / ``demo.ui_common.K``.

    from demo.i18n import t
    t("digits.model.label", "zh-CN")                                  # "模型"
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
import re
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


# -- messages made in English by the pure modules ----------------------------------------------
# The models, limits and links raise ValueError in English (their tests check those words); the
# UI shows them in the page's language by matching each English template of the error keys and
# filling the same template of the other language with the pieces found.
MESSAGE_PREFIXES = ("digits.error.", "text.error.", "app.error.", "digits.hint.")
_LINK = re.compile(r"^Link parameter (?P<key>[^:]{1,40}): (?P<rest>.*)$", re.S)


_NUMBER = r"[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?"


def _template_regex(text: str) -> re.Pattern:
    parts, seen = [], set()
    for literal, name, spec, _conv in string.Formatter().parse(text):
        parts.append(re.escape(literal))
        if name is not None:
            if name in seen:
                parts.append(f"(?P={name})")
            else:
                seen.add(name)
                parts.append(f"(?P<{name}>{_NUMBER})" if spec else f"(?P<{name}>.*?)")
    return re.compile("^" + "".join(parts) + "$", re.S)


@lru_cache(maxsize=None)
def _message_templates() -> list[tuple[str, re.Pattern]]:
    en = strings(DEFAULT)
    return [(k, _template_regex(v)) for k, v in en.items() if k.startswith(MESSAGE_PREFIXES)]


def _fill(text: str, values: dict, lang: str) -> str:
    """``text``'s placeholders replaced by the strings in ``values`` (format specs dropped: the
    values are already formatted)."""
    out, labels = [], _labels(lang)
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            value = str(values.get(name, ""))
            out.append(labels.get(value) or _hint(value, lang))
    return "".join(out)


# Hints with a number in them, as the Text tab's checks write them (demo/text/limits.py)
_HINTS = ((re.compile(r"^ \(the top layer has units 0 to (\d+)\)$"), "（顶层的单元编号为 0 到 {0}）"),
          (re.compile(r"^ \(0-based; the text has ([\d,]+) characters\)$"), "（从 0 开始；文本共有 {0} 个字符）"),
          (re.compile(r"^ \(exclusive; the text has ([\d,]+) characters\)$"), "（不含终点；文本共有 {0} 个字符）"))


def _hint(value: str, lang: str) -> str:
    if lang != DEFAULT:
        for pattern, text in _HINTS:
            m = pattern.match(value)
            if m:
                return text.format(*m.groups())
    return value


@lru_cache(maxsize=None)
def _labels(lang: str) -> dict[str, str]:
    """English control labels ("Length", "Ablate units") -> their text in ``lang``: a message
    names the field it is about."""
    en, other = strings(DEFAULT), strings(lang)
    out = {v: other[k] for k, v in en.items() if k.endswith(".label") and is_static(v)}
    out.update({"Step t": other["digits.t.label"].split("：")[0] if lang != DEFAULT else "Step t",
                "Unit": other["text.unit.label"], "Ablate units": other["digits.ablate.label"].split("（")[0],
                " (characters to generate)": "（要生成的字符数）" if lang != DEFAULT else " (characters to generate)",
                " (empty = fresh randomness)": "（留空 = 每次都随机）" if lang != DEFAULT else " (empty = fresh randomness)",
                " (a step)": "（步数）" if lang != DEFAULT else " (a step)",
                "Position": "位置" if lang != DEFAULT else "Position",
                " to score (the first one is only context)": "才能打分（第一个字符只作为上下文）" if lang != DEFAULT
                else " to score (the first one is only context)",
                " (the first one has nothing before it to look at)": "（第一个字符之前没有可回看的内容）"
                if lang != DEFAULT else " (the first one has nothing before it to look at)",
                " (0-based index of the character whose prediction is explained; it needs one before it)":
                    "（从 0 开始的下标，指要解释其预测的那个字符；它之前必须至少有一个字符）" if lang != DEFAULT else
                    " (0-based index of the character whose prediction is explained; it needs one before it)",
                "Blank rows": other["digits.blank_rows.label"],
                # the pieces of preprocess's "not one digit" messages
                " or a page of text": "，也可能是一页文字" if lang != DEFAULT else " or a page of text",
                ", in one solid blot": "，而且连成一整块" if lang != DEFAULT else ", in one solid blot",
                "several": "几" if lang != DEFAULT else "several",
                "Span start": other["text.span_start.label"], "Span end": other["text.span_end.label"]})
    return out


def translate_message(message: str, lang: str | None) -> str:
    """An English message from the app (an error key's text, formatted) -> the same message in
    ``lang``; a message no key matches comes back as it is.  "Link parameter KEY: ..." keeps
    its key and translates the rest."""
    lang = normalize(lang) if lang not in LANGS else lang
    if lang == DEFAULT or not isinstance(message, str):
        return message
    m = _LINK.match(message)
    if m:
        return t("app.link.param", lang, param=m["key"], message=translate_message(m["rest"], lang))
    for key, pattern in _message_templates():
        found = pattern.match(message)
        if found:
            return _fill(strings(lang)[key], found.groupdict(), lang)
    return message


def message_key(message: str) -> str | None:
    """The key whose English template ``message`` fits, or None."""
    for key, pattern in _message_templates():
        if pattern.match(message):
            return key
    return None
