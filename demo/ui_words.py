"""The page's words across tabs: the browser's language, every component whose words are gr.I18n
keys (what the language switch sends again), and ``Merged``, one answer built from several parts
that may set the same component.  Gradio lives here (UI layer).

    lang = browser_lang(request)                       # "en" or "zh-CN", from Accept-Language
    words = translated_words(demo, *tab_words)         # a ui_common.Words of the whole page
    out = Merged(); out.putall(words.updates("zh-CN")); out.put(label, gr.update(visible=False))
    return out.result()
"""
from __future__ import annotations

import json

import gradio as gr

from demo import i18n
from demo.ui_common import Words

I18N_PREFIX = "__i18n__"


def browser_lang(request) -> str:
    """The first language of the request's Accept-Language header, as "en" or "zh-CN"."""
    header = ""
    try:
        header = request.headers.get("accept-language", "") or ""
    except AttributeError:
        pass
    return i18n.normalize(header.split(",")[0].split(";")[0].strip())


def _i18n_key(value):
    """The demo/i18n key of a gr.I18n value (an I18nData or its "__i18n__{...}" string), else None."""
    text = str(value) if value is not None else ""
    if not text.startswith(I18N_PREFIX):
        return None
    try:
        return json.loads(text[len(I18N_PREFIX):]).get("key")
    except ValueError:
        return None


def translated_words(demo: gr.Blocks, *more: Words) -> Words:
    """Every component whose label, info, placeholder, value or choices is a gr.I18n key, found
    in the built page, plus the ones registered by hand (``more``, e.g. the heatmaps, whose
    labels live in their templates): what the language switch sends again."""
    found = Words()
    by_hand = {id(c): keys for w in more for c, keys in w.items}
    for block in demo.blocks.values():
        keys = dict(by_hand.pop(id(block), {}))
        for attr in ("label", "info", "placeholder", "value"):
            key = _i18n_key(getattr(block, attr, None))
            if key and attr not in keys:
                keys[attr] = key
        choices = getattr(block, "choices", None)
        if choices and "choices" not in keys and any(_i18n_key(c[0]) for c in choices if isinstance(c, tuple)):
            keys["choices"] = [(_i18n_key(c[0]) or c[0], c[1]) for c in choices]
        if keys:
            found.add(block, **keys)
    return found


class Merged(dict):
    """Outputs for one event, several parts setting the same component: their updates merged."""

    def put(self, component, value) -> None:
        if isinstance(value, dict) and value.get("__type__") == "update":
            new = {k: v for k, v in value.items() if k != "__type__"}
        else:
            new = {"value": value}
        old = self.get(component)
        if old is None:
            self[component] = new
        else:
            old.update(new)

    def putall(self, values: dict) -> None:
        for c, v in values.items():
            self.put(c, v)

    def result(self) -> dict:
        out = {}
        for c, v in self.items():
            if isinstance(c, gr.State):
                out[c] = v.get("value")
            elif set(v) == {"value"} and not isinstance(v["value"], dict):
                out[c] = v["value"]
            else:
                out[c] = gr.update(**v)
        return out
