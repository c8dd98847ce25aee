"""The Text tab's state as one table (``demo.fields``): the generation settings, the unit and
step looked at, and the interventions.  Links, the page's controls, lesson presets and "Copy
link" are all made from ``TABLE``.  Pure (no gradio: each ``component`` is called by the page).

    from demo.text.controls import TABLE, Controls
    c = TABLE.decode({"tmodel": "rnn", "tt": "12"})     # Controls(model="rnn", t=12, ...)
    TABLE.encode(c)                                      # [("tmodel", "rnn"), ("tt", "12")]

Values are checked with generous bounds (a unit up to MAX_UNIT, top-k up to MAX_TOP_K); the
model's own limits (its hidden size, its vocabulary) are checked when a link is applied to the
page (``demo.text.events``) or when a handler runs.
"""
from __future__ import annotations

import math
import unicodedata

from demo import i18n
from demo.checks import choice, number, shown, text, whole
from demo.errors import Text, UserError
from demo.fields import Field, Table
from demo.text import limits
from demo.text.interventions import parse_clamp, parse_units

MODELS = ("lstm", "rnn", "tang")   # the character models a link may name (demo.text.lab.CHAR_MODELS)
# the texts the models learned: Tiny Shakespeare, and the Tang poems (demo.text.corpus); a link
# without "tcorpus" follows the page's language (Chinese: the Tang poems, when that model is here)
CORPORA = ("shakespeare", "tang")
MAX_ACROSTIC = 16               # characters of an acrostic in a link (a poem takes 4 or 8: CharModel.poem)
STATES = ("h", "c")
MAX_UNIT = 4095                 # a link's bound; the page checks the model's hidden size
MAX_TOP_K = 256                 # a link's bound; the model checks its vocabulary
MAX_LINK_SEED = 1_000           # characters of seed a link carries (the box takes more)
MAX_EDIT_TEXT = 2_000           # characters of a clamp or ablate list
MAX_CLAMP = 1_000.0             # |value| of a clamped unit in a link
# characters a seed in a link must not hold (invisible or control; newline and tab are text)
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def check_seed(value) -> str:
    """The seed as a link carries it: limits.check_seed's rules, at most MAX_LINK_SEED
    characters, and no invisible or control character."""
    if isinstance(value, str) and len(value) > MAX_LINK_SEED:
        raise UserError("text.error.link_seed_long", max=MAX_LINK_SEED, n=len(value))
    seed = limits.check_seed(value)
    for ch in seed:
        if ch not in "\n\t" and unicodedata.category(ch) in _BAD_CATEGORIES:
            raise UserError("text.error.seed_control", code=f"{ord(ch):04X}")
    return seed


def check_link_seed(value) -> str:
    """A link's seed: empty (a Tang poem may start from nothing; Shakespeare's generation asks
    for one) or ``check_seed``'s."""
    return "" if value in (None, "") else check_seed(value)


def check_corpus(value) -> str | None:
    """None or "" (follow the page's language), or one of CORPORA."""
    return None if value in (None, "") else choice(CORPORA, Text("text.corpus.label"))(value)


def check_acrostic(value) -> str:
    """The acrostic box as a link carries it: at most MAX_ACROSTIC characters, spaces dropped
    (how many, and whether the model knows them, is the poem's check: CharModel.poem)."""
    value = text(MAX_ACROSTIC * 4, Text("text.acrostic.label"))(value)
    value = "".join(value.split())
    if len(value) > MAX_ACROSTIC:
        raise UserError("app.check.text_long", label=Text("text.acrostic.label"), max=MAX_ACROSTIC, n=len(value))
    return check_seed(value) if value else ""


def _edit_check(parse, label_key: str):
    """A check of a clamp or ablate list as typed ("c25 = 2, h7"): readable, at most
    limits.MAX_EDITS units, each unit at most MAX_UNIT, each clamped value finite and at most
    MAX_CLAMP.  Returns the text stripped."""
    as_text = text(MAX_EDIT_TEXT, Text(label_key))

    def check(value) -> str:
        value = as_text(value)
        if not value:
            return ""
        parsed = parse(value)
        units = parsed.items() if isinstance(parsed, dict) else [(u, None) for u in parsed]
        if len(parsed) > limits.MAX_EDITS:
            raise UserError("text.error.too_many_edits", max=limits.MAX_EDITS, n=len(parsed))
        for (state, unit), v in units:
            if unit > MAX_UNIT:
                raise UserError("text.error.unit_out", unit=f"{state}{unit}", max=MAX_UNIT)
            if v is not None and not (math.isfinite(v) and abs(v) <= MAX_CLAMP):
                raise UserError("text.error.link_clamp", unit=f"{state}{unit}", max=MAX_CLAMP, value=shown(v))
        return value.strip()
    return check


def has_c(edit_text: str) -> bool:
    """Whether a clamp or ablate list names a unit of the cell state c."""
    return any(part.strip().startswith("c") for part in (edit_text or "").split(","))


def check_together(c) -> None:
    """What no single field can check: the state and the edited units must exist in the model
    (only the LSTM has a cell state c)."""
    if c.model == "lstm":
        return
    if c.which != "h":
        raise UserError("text.error.only_lstm_c", param="state", label=Text("text.which.label"))
    for name, param in (("clamp", "clamp"), ("ablate", "tablate")):
        label = f"text.{name}_box.label"
        if has_c(getattr(c, name)):
            raise UserError("text.error.only_lstm_c", param=param, label=Text(label))


def _model_title(name: str) -> str:
    return i18n.t(f"text.model.{name}")


def _corpus_radio(gr, K):
    # the page writes the choices' words in its language (demo.text.handlers.static_words)
    return gr.Radio([(i18n.t(f"text.corpus.{n}"), n) for n in CORPORA], value=CORPORA[0], label=K("text.corpus.label"),
                    info=K("text.corpus.info"), elem_id="text-corpus", scale=1)


TABLE = Table("text", [
    Field("corpus", "tcorpus", None, check=check_corpus, component=_corpus_radio, example="shakespeare"),
    Field("model", "tmodel", "lstm", check=choice(MODELS, Text("text.model.label")),
          # the page narrows the choices to the models loaded, with their sizes
          component=lambda gr, K: gr.Dropdown([(_model_title(n), n) for n in MODELS], value="lstm",
                                              label=K("text.model.label"), scale=1),
          example="rnn"),
    Field("seed", "seed", "ROMEO:\n", check=check_link_seed,
          component=lambda gr, K: gr.Textbox("ROMEO:\n", label=K("text.seed.label"), lines=2, scale=3),
          example="JULIET:%0A"),
    Field("acrostic", "acrostic", "", check=check_acrostic,
          component=lambda gr, K: gr.Textbox("", label=K("text.acrostic.label"), info=K("text.acrostic.info"),
                                             placeholder=K("text.acrostic.placeholder"), max_length=MAX_ACROSTIC,
                                             visible=False, scale=2, elem_id="text-acrostic"),
          example="%E6%98%A5%E5%A4%8F%E7%A7%8B%E5%86%AC"),   # four characters: spring, summer, autumn, winter
    Field("length", "len", 500, check=whole(1, limits.MAX_LENGTH, Text("text.length.label"), Text("text.hint.length")),
          component=lambda gr, K: gr.Number(500, label=K("text.length.label"), step=1,
                                            info=i18n.t("text.length.info", "en", max=limits.MAX_LENGTH)),
          example="200"),
    Field("temperature", "temp", 0.8, check=number(0, limits.MAX_TEMPERATURE, Text("text.temperature.label")),
          component=lambda gr, K: gr.Number(0.8, label=K("text.temperature.label"), step=0.1,
                                            info=i18n.t("text.temperature.info", "en", max=limits.MAX_TEMPERATURE)),
          example="0.5"),
    Field("top_k", "topk", 0, check=whole(0, MAX_TOP_K, Text("text.top_k.label"), empty=0),
          component=lambda gr, K: gr.Number(0, label=K("text.top_k.label"), step=1, info=K("text.top_k.info")),
          example="5"),
    Field("rng_seed", "rng", 0, check=whole(0, limits.MAX_RNG_SEED, Text("text.rng_seed.label"),
                                             Text("text.hint.rng_seed"), empty=None),
          component=lambda gr, K: gr.Number(0, label=K("text.rng_seed.label"), step=1, info=K("text.rng_seed.info")),
          example="7"),
    Field("which", "state", "h", check=choice(STATES, Text("text.which.label")),
          component=lambda gr, K: gr.Radio(list(STATES), value="h", label=K("text.which.label"), scale=1,
                                           info=K("text.which.info")),
          example="c"),
    Field("unit", "tunit", 0, check=whole(0, MAX_UNIT, Text("text.unit.label")),
          component=lambda gr, K: gr.Number(0, label=K("text.unit.label"), precision=0, minimum=0, scale=1),
          example="25"),
    # the step looked at (1 = the first character written; the page clamps it to the text's length)
    Field("t", "tt", 1, check=whole(1, limits.MAX_LENGTH, Text("text.t.name"), empty=1),
          component=lambda gr, K: gr.Slider(1, 2, value=1, step=1, label=K("text.t.label")),
          example="12"),
    Field("clamp", "clamp", "", check=_edit_check(parse_clamp, "text.clamp_box.label"),
          component=lambda gr, K: gr.Textbox(label=K("text.clamp_box.label"), scale=3, elem_id="text-clamp",
                                             placeholder=K("text.clamp_box.placeholder")),
          example="c25%20%3D%202"),
    Field("ablate", "tablate", "", check=_edit_check(parse_units, "text.ablate_box.label"),
          component=lambda gr, K: gr.Textbox(label=K("text.ablate_box.label"),
                                             placeholder=K("text.ablate_box.placeholder"), scale=3),
          example="h7"),
], together=check_together, module=__name__)
Controls = TABLE.Controls
