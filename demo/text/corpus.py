"""The Text tab's two corpora, the texts its models learned: Tiny Shakespeare (the LSTM and the
vanilla RNN) and the Tang poems ("tang": one LSTM, whose Generate writes a whole poem with
``demo.text.poems``, optionally an acrostic).  Which models each has, what the page shows for
each (seed, boxes, a text to score), the corpus radio's handler, and a link's corpus and model.
Pure (no gradio): the handlers answer ``{output name: value}`` as ``demo.text.steps``'.

    view(lab, "tang", "zh-CN")         # the controls a corpus sets: its models, its seed, the poem's box
    switch_corpus(lab, "tang", "en")   # the radio: CORPUS + the units and cleared step views
    resolve(lab, controls, given, lang)   # a link's (corpus, model): named ones, else the language's

A link without a corpus follows the page's language: Chinese opens the Tang poems (when that model
is here), English Shakespeare (``Lab.default_corpus``).  "Copy link" names the corpus shown.
"""
from __future__ import annotations

from demo import i18n
from demo.answers import Update, skip_all
from demo.errors import Text, UserError
from demo.text import steps
from demo.text.controls import CORPORA, TABLE
from demo.text.lab import Lab, model_label
from demo.text.model import train_command

POEMS = ("tang",)               # corpora whose Generate writes one whole poem (CharModel.poem)
SEEDS = {"shakespeare": TABLE.fields["seed"].default, "tang": ""}   # a poem may start from nothing
# the text to score ("How surprising is a text?") of each corpus; the Tang one is keyed (no Chinese in Python)
PASTED = {"shakespeare": "ROMEO:\nBut soft, what light through yonder window breaks?\n"}
CORPUS = ("corpus", "corpus_note", "model", "seed", "length", "top_k", "acrostic", "pasted")
SWITCH = (*CORPUS, *steps.ANALYSIS)


def writes_poems(corpus: str) -> bool:
    return corpus in POEMS


def pasted(corpus: str) -> str:
    return PASTED.get(corpus) or i18n.t(f"text.pasted.{corpus}")


def missing_note(corpus: str, lang: str = "en") -> str:
    """How to make the missing model of ``corpus`` (Markdown, in ``lang``)."""
    return i18n.t("text.corpus.missing", lang, corpus=i18n.t(f"text.corpus.{corpus}", lang),
                  command=train_command(corpus))


def radio_words(lab: Lab, lang: str = "en") -> Update:
    """The corpus radio's words in ``lang``: its choices, and what it is for (or, when a
    corpus's model is not here, how to make it)."""
    info = (i18n.t("text.corpus.info_missing", lang, command=train_command(lab.missing[0])) if lab.missing
            else i18n.t("text.corpus.info", lang))
    return Update(choices=[(i18n.t(f"text.corpus.{n}", lang), n) for n in CORPORA], info=info)


def model_choices(lab: Lab, corpus: str, lang: str = "en") -> list[tuple[str, str]]:
    """The model dropdown's choices: the loaded models of ``corpus``, with their sizes."""
    return [(model_label(n, lab.models[n], lang), n) for n in lab.corpus_models(corpus)]


def view(lab: Lab, corpus: str, lang: str = "en", model: str | None = None) -> dict:
    """What the page shows for ``corpus``: the radio, its models (``model``, else the first,
    chosen), its seed, and for poems the acrostic box instead of length and top-k."""
    poem = writes_poems(corpus)
    names = lab.corpus_models(corpus)
    return {"corpus": corpus, "corpus_note": "",
            "model": Update(choices=model_choices(lab, corpus, lang), value=model if model in names else names[0]),
            "seed": SEEDS.get(corpus, ""), "length": Update(visible=not poem), "top_k": Update(visible=not poem),
            "acrostic": Update(visible=poem, value=""), "pasted": pasted(corpus)}


def switch_corpus(lab: Lab, corpus, lang: str = "en") -> dict:
    """The corpus radio: that corpus's models (the first chosen), seed and boxes, its units, and
    the step views cleared (the text was the other corpus's).  A corpus whose model is not here:
    the radio goes back to one that is, and a note says how to make the missing model."""
    corpus = TABLE.fields["corpus"].check(corpus) or lab.default_corpus(lang)
    if not lab.corpus_models(corpus):
        back = next(c for c in CORPORA if lab.corpus_models(c))
        return {**skip_all(SWITCH), "corpus": back, "corpus_note": missing_note(corpus, lang)}
    out = view(lab, corpus, lang)
    return {**out, **steps.switch(lab, out["model"]["value"], lang)}


def resolve(lab: Lab, controls, given, lang: str = "en") -> tuple[str | None, str]:
    """A link's corpus and model: the corpus named (its first model unless the link names one of
    it), else the named model's, else the page language's corpus and its first model.  The corpus
    is None for a model not loaded (the caller says so).  UserError (app.link.param) for a corpus
    whose model is not here, or a model of another corpus."""
    corpus = controls.corpus if "corpus" in given else None
    if corpus is None:
        if "model" in given:
            return (lab.corpus(controls.model) if controls.model in lab.models else None), controls.model
        corpus = lab.default_corpus(lang)
        return corpus, lab.corpus_models(corpus)[0]
    names = lab.corpus_models(corpus)
    if not names:
        raise UserError("app.link.param", param="tcorpus", message=Text(
            "text.corpus.missing", corpus=Text(f"text.corpus.{corpus}"), command=train_command(corpus)))
    if "model" not in given:
        return corpus, names[0]
    if controls.model in lab.models and controls.model not in names:
        raise UserError("app.link.param", param="tmodel", message=Text("text.error.model_corpus",
                        model=Text(f"text.model.{controls.model}"), corpus=Text(f"text.corpus.{corpus}")))
    return corpus, controls.model


def built_corpus(lab: Lab) -> str | None:
    """The corpus the page is built with (its first model's)."""
    return lab.corpus(lab.first) if lab.first else None

