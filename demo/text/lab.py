"""The character models the Text tab serves, and what is found once per process about each: its
units worth looking at, its precomputed lookups, the validation split's activations.  The
handlers (``demo.text.steps``, ``demo.text.why``, ``demo.text.handlers``) take a ``Lab``.
Pure (no gradio).

    lab = Lab({"lstm": model}, weights_dir=tmp)   # the events build it from the weights found
    lab.loaded("lstm"); lab.units("lstm")       # UserError for a model not loaded
"""
from __future__ import annotations

import os
from pathlib import Path

from demo import i18n
from demo.checkpoint import WEIGHTS_DIR, WeightsError
from demo.errors import UserError
from demo.lens_models import is_lens_name, lens_title, page_model
from demo.text import matching, units, views
from demo.text.controls import CORPORA
from demo.text.model import CharModel
from demo.text.units import corpus_of

CHAR_MODELS = {"lstm": "LSTM", "rnn": "Vanilla RNN", "tang": "Tang poems LSTM"}
# Models the app runs without: no message above the tab; their corpus's choice says how to make
# them (demo.text.corpus).  The Tang model is trained for 75 minutes, apart from the shipped two.
OPTIONAL = ("tang",)
# the connectivity plot compares these on the same text (those of the text's corpus)
CONN_MODELS = ("lstm", "rnn", "tang")
CONN_COLOURS = {("lstm", "text"): "#b2182b", ("rnn", "text"): "#2166ac", ("tang", "text"): "#1b7837",
                ("lstm", "mean"): "#ef8a62", ("rnn", "mean"): "#67a9cf",
                ("tang", "mean"): "#7fbf7b"}  # (model, curve) -> colour
# Tiny Shakespeare, for select-and-match over the validation split (the app ships no dataset;
# without it the units of a span are still listed).  RNN_LENS_DATA_DIR overrides.
DATA_DIR = Path(os.environ.get("RNN_LENS_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data")


def model_title(name: str, lang: str = "en") -> str:
    """"LSTM", "Vanilla RNN": a character model's name in ``lang``; one the page trained and opened
    in the lens (demo.lens_models): "Yours: LSTM 1×128"."""
    if is_lens_name(name):
        return i18n.t("lens.yours", lang, model=lens_title(name))
    key = f"text.model.{name}"
    return i18n.t(key, lang) if key in i18n.strings(i18n.DEFAULT) else CHAR_MODELS.get(name, name)


def model_label(name: str, m: CharModel, lang: str = "en") -> str:
    """"LSTM (2×384)": the model dropdown's words (the page's own model's title has its size)."""
    return model_title(name, lang) if is_lens_name(name) else f"{model_title(name, lang)} ({m.layers}×{m.hidden})"


def series_name(name: str, kind: str, lang: str = "en") -> str:
    """A connectivity curve's name: "LSTM · this text" (kind "text") or "LSTM · validation mean"."""
    return i18n.t("text.conn.series_text" if kind == "text" else "text.conn.series_mean", lang,
                  model=model_title(name, lang))


def conn_colours(lang: str = "en") -> dict[str, str]:
    """The connectivity plot's colour map, by series name in ``lang``."""
    return {series_name(n, k, lang): c for (n, k), c in CONN_COLOURS.items()}


class Lab:
    """The loaded models (``models``), the messages about those that could not load
    (``problems``, demo.ui_common.Problem), and per-model caches: units found (each model's
    discovery runs at most once per process, and only when first needed) and the validation
    split's activations."""

    def __init__(self, models: dict[str, CharModel], problems=(), weights_dir=None, data_dir=None, missing=()):
        self.shipped = dict(models)     # the loaded models (``models`` adds the page's own)
        self.problems = list(problems)
        self.missing = tuple(missing)   # optional models (OPTIONAL) whose weights are not here
        self.weights_dir = Path(weights_dir or WEIGHTS_DIR)
        self.data_dir = Path(data_dir or DATA_DIR)
        self.discovery_chars = units.DISCOVERY_CHARS
        self._units: dict[str, tuple[list[units.Unit], str] | None] = {}   # None: no valid file, not searched yet
        self._val: dict[str, tuple[str, dict] | None] = {}

    # -- Open in the lens: the character model the page trained and opened (demo.lens_models) ------
    @property
    def models(self) -> dict[str, CharModel]:
        """The loaded models, then the one the page whose event runs now opened in the lens: the
        handlers serve it as any other, on that page only."""
        own = page_model("char")
        return self.shipped if own is None else {**self.shipped, own.name: own.model}

    @property
    def first(self) -> str | None:
        return next(iter(self.models), None)

    def loaded(self, name) -> CharModel:
        if name not in self.models:
            raise UserError("text.error.no_model", name=str(name)[:40], names=", ".join(self.models))
        return self.models[name]

    def corpus(self, name) -> str:
        """The corpus of loaded model ``name`` (UserError for one not loaded)."""
        return corpus_of(self.loaded(name))

    def corpus_models(self, corpus: str) -> list[str]:
        """The loaded models of ``corpus``, in load order (the model dropdown's choices)."""
        return [n for n, m in self.models.items() if corpus_of(m) == corpus]

    def default_corpus(self, lang: str = "en") -> str:
        """The corpus a page opens with: the Tang poems in Chinese (when that model is here), else
        the first model's."""
        if i18n.normalize(lang) == "zh-CN" and self.corpus_models("tang"):
            return "tang"
        return corpus_of(self.models[self.first]) if self.first else CORPORA[0]

    def lookups(self, name: str):
        """The precomputed lookups of model `name`, or None (missing or stale)."""
        try:
            return self.loaded(name).lookups()
        except WeightsError:
            return None

    # -- units worth looking at -----------------------------------------------------------------
    def known_units(self, name: str) -> tuple[list[units.Unit], str] | None:
        """The units of `name` found so far, without searching: searched ones, else those of
        weights/char_NAME_units.json if it was made for these weights (the file is read once)."""
        if name not in self._units and name in self.models:
            self._units[name] = units.load_units(units.units_path(self.weights_dir, name),
                                                 self.models[name].meta.get("weights_sha256"))
        return self._units.get(name)

    def units(self, name: str) -> tuple[list[units.Unit], str]:
        """Units for model `name`: saved ones, else found once on text the model writes itself."""
        if self.known_units(name) is None:
            self._units[name] = units.discover_on_own_text(self.loaded(name), self.discovery_chars)
        return self._units[name]

    def units_table_html(self, name: str, lang: str = "en") -> str:
        """The units table of model `name` if its units are known yet (no search), else a hint."""
        known = self.known_units(name)
        if known is None:
            return f"<p>{views.esc(i18n.t('text.units.none_yet', lang))}</p>"
        return views.units_table_html(*known, lang=lang)

    def unit_choices(self, name: str, lang: str = "en") -> list[tuple[str, str]]:
        """The unit picker's choices for `name` (none until its units are known)."""
        known = self.known_units(name)
        return [(views.unit_label(u, lang), u.key) for u in known[0]] if known else []

    # -- over data ------------------------------------------------------------------------------
    def validation_acts(self, name: str):
        """The validation split's text and top-layer activations of model `name`, computed once per
        process (None when the data is not here)."""
        if name not in self._val:
            lk = self.lookups(name)
            text = matching.read_validation(self.data_dir, lk.meta, lk) if lk is not None else None
            self._val[name] = (text, matching.validation_activations(self.loaded(name), text)) if text else None
        return self._val[name]

    def conn_models(self, name: str) -> list[str]:
        """The models the connectivity plot compares on a text of model ``name``: the loaded
        CONN_MODELS of its corpus (the others do not know its characters)."""
        corpus = self.corpus(name)
        found = [n for n in CONN_MODELS if n in self.models and corpus_of(self.models[n]) == corpus]
        return found if name in found else [*found, name]

    def data_summaries(self, lang: str = "en") -> dict:
        """{model title: its lookups' connectivity summary} of the models that have lookups."""
        out = {}
        for name in CONN_MODELS:
            lk = self.lookups(name) if name in self.models else None
            if lk is not None:
                out[model_title(name, lang)] = lk.meta["connectivity"]
        return out

    def legend_colours(self, lang: str = "en") -> dict[str, str]:
        """The connectivity plot's series that this app can draw, by name in ``lang``: colour."""
        return {series_name(n, k, lang): c for (n, k), c in CONN_COLOURS.items()
                if n in self.models and (k == "text" or self.lookups(n) is not None)}
