"""The Digits tab's fixed words that depend on the model chosen.  The page is built saying what is
true of the shipped models: the answer comes after 28 rows, a unit's profile and the state's
cloud are over MNIST test digits.  A model the page trained and opened in the lens
(demo.lens_models) may read blank rows after the drawing ("remember the digit": 28 + D steps),
and its lookups are over its run's validation digits (demo.digits.lookups.lookups_over), or
missing when MNIST could not be read.  The picker and the language switch send these words
(``model_words``) with their views (``worded``).  Pure (no gradio).

    words = model_words(lab.models[name], lab.lookups.get(name), "zh-CN", own=is_lens_name(name))
    worded(handlers.pick(...), words)     # each view's label (and the path's help) set for that model
"""
from __future__ import annotations

from demo import i18n
from demo.answers import SKIP, Update

LABELLED = ("final", "edited_final", "unit_rows", "unit_profile", "unit_thumbs")   # components' labels
HELP = ("trajectory_help",)                                                       # Markdown values
WORDED = (*LABELLED, *HELP)


def model_words(model, lookups=None, lang: str = "en", own: bool = False) -> dict[str, str]:
    """{output name: its words} for ``model`` (a DigitModel; its ``delay``: blank rows after the
    drawing), ``lookups`` its DigitLookups (None: none), ``own``: a model the page opened in the
    lens, whose lookups (when there are) are over its run's validation digits."""
    delay = getattr(model, "delay", 0) or 0
    steps = {"steps": 28 + delay, "delay": delay}
    n = (lookups.meta.get("data") or {}).get("own") if lookups is not None else None
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    words = {
        "final": t("digits.final.label_steps", **steps) if delay else t("digits.final.label"),
        "edited_final": t("digits.edited_final.label_steps", **steps) if delay else t("digits.edited_final.label"),
        "unit_rows": t("digits.unit_rows.label_steps", **steps) if delay else t("digits.unit_rows.label"),
        "unit_profile": t("digits.unit_profile.label_own", n=n) if n else t("digits.unit_profile.label"),
        "unit_thumbs": t("digits.unit_thumbs.label_own") if n else t("digits.unit_thumbs.label"),
    }
    if n:
        words["trajectory_help"] = (t("digits.trajectory.help_own_steps", n=n, **steps) if delay
                                    else t("digits.trajectory.help_own", n=n))
    elif own:     # no MNIST here: no digits to place the state's path among
        words["trajectory_help"] = t("digits.trajectory.help_no_digits")
    else:
        words["trajectory_help"] = t("digits.trajectory.help")
    return words


def worded(answer: dict, words: dict) -> dict:
    """``answer`` (a handler's, {output name: value, SKIP or Update}) with ``words`` in it: each
    LABELLED output's label (its value, if any, kept), each HELP output's value."""
    out = dict(answer)
    for name, text in words.items():
        if name in HELP:
            out[name] = text
            continue
        value = out.get(name, SKIP)
        if isinstance(value, Update):
            out[name] = Update(**{**value, "label": text})
        elif value is SKIP:
            out[name] = Update(label=text)
        else:
            out[name] = Update(value=value, label=text)
    return out
