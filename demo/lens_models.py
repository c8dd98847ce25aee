"""The models people trained themselves and opened in the lens ("Open in the lens", the Train
tab): each page (its session, the ``owner``) may have one digit model and one character model
open, which the Digits and the Text tab offer beside the shipped ones, on that page only.  Pure
(no gradio; no torch at import).

    from demo.lens_models import LENS, LensModel, is_lens_name, lens_title, page_model
    own = LENS.open("page-1", LensModel(name, "digits", model, settings, score))
    LENS.get("page-1", "digits")          # that LensModel (None: nothing open, or dropped)
    page_model("char")                    # the model of the page whose event runs now, of that kind
    LENS.forget("page-1")                 # the page went away (gradio's unload)
    lens_title("yours-lstm-1x64-d50-0123456789")   # "LSTM 1×64 · D=50"

A model's name says what it is and which weights: "yours-CELL-LAYERSxHIDDEN[-dDELAY]-DIGEST"
(``lens_name``; "bi" before the cell for a network reading both ways, DIGEST the first 10 hex
digits of the weights' SHA-256).  So any process writes its title from the name alone (the
Digits tab's captions, its drawing worker), and one name never stands for two models.  ``ref``
is what a worker process needs to build the model once (its torch module and meta): calls name
it by ``light()``, and the worker asks for the whole of it when it does not hold it yet.  At most
``size`` models are open in the server (the least recently used are dropped first: that page is
told to open its model again).
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property

from demo.errors import Text

PREFIX = "yours"
KINDS = ("digits", "char")
MAX_OPEN = 32                 # models held in the server, over every page
CELL_TITLES = {"rnn": "RNN", "rnn_relu": "ReLU RNN", "gru": "GRU", "lstm": "LSTM", "peephole": "Peephole LSTM"}
_NAME = re.compile(rf"{PREFIX}-(bi)?({'|'.join(sorted(CELL_TITLES, key=len, reverse=True))})-(\d+)x(\d+)"
                   r"(?:-d(\d+))?-([0-9a-f]{10})")


def lens_name(settings: dict, digest: str) -> str:
    """The name of a model trained with ``settings`` (a run's, demo.train.Settings.as_dict())
    whose weights hash to ``digest`` (hex)."""
    both = "bi" if settings.get("bidirectional") else ""
    delay = settings.get("delay") or 0
    tail = f"-d{delay}" if settings.get("task") == "remember" and delay else ""
    return f"{PREFIX}-{both}{settings['cell']}-{settings['layers']}x{settings['hidden']}{tail}-{digest[:10]}"


def is_lens_name(name) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def lens_title(name: str) -> str | None:
    """"LSTM 1×64", "BiGRU 2×32", "LSTM 1×64 · D=50" (the blank rows it reads after the digit):
    the same in every language.  None for a name that is not a lens model's."""
    m = _NAME.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        return None
    both, cell, layers, hidden, delay, _ = m.groups()
    title = CELL_TITLES[cell]
    title = f"Bi{title}" if both else title
    return f"{title} {layers}×{hidden}" + (f" · D={delay}" if delay else "")


@dataclass(frozen=True)
class LensRef:
    """What a worker process needs to build the model: its torch module (``net``), its meta and
    what the tab found about it (``lookups``: the Digits tab's, or None); the ``light`` copy
    only names it."""
    name: str
    kind: str
    meta: dict = field(repr=False)
    net: object = field(default=None, repr=False)
    lookups: object = field(default=None, repr=False)

    @property
    def key(self) -> tuple:
        """What a worker holds it by: its name, and whether it came with its lookups."""
        return self.name, self.meta.get("looked_up", False)

    def light(self) -> "LensRef":
        return replace(self, meta={"looked_up": self.key[1]}, net=None, lookups=None)


@dataclass(frozen=True)
class LensModel:
    """One model opened in the lens: ``model`` a DigitModel (kind "digits") or a CharModel
    ("char") named ``name``; ``score`` its validation accuracy (digits) or loss in nats per
    character (char); ``settings`` the run's; ``examples`` (images, labels) of its validation data
    that a tab may look things up over (None: none); ``found``: what the tab found about it so
    far (the Digits tab: "lookups", demo.digits.lookups.lookups_over); ``opening`` (a char model):
    the first characters of its training text, "" when not recorded (a seed it knows: the Text
    tab's demo.text.known_seed)."""
    name: str
    kind: str
    model: object = field(repr=False)
    settings: dict = field(repr=False)
    score: float = float("nan")
    examples: tuple | None = field(default=None, repr=False)
    opening: str = field(default="", repr=False)
    found: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}, got {self.kind!r}")
        if not is_lens_name(self.name):
            raise ValueError(f"not a lens model's name: {self.name!r}")

    @property
    def title(self) -> str:
        return lens_title(self.name)

    @cached_property
    def meta(self) -> dict:
        """The model's meta without its run's records (they stay in the Train tab)."""
        return {k: v for k, v in self.model.meta.items() if k != "history"}

    @property
    def ref(self) -> LensRef:
        lookups = self.found.get("lookups")
        return LensRef(self.name, self.kind, {**self.meta, "looked_up": lookups is not None}, self.model.net, lookups)

    def label(self, lang: str = "en") -> str:
        """The model picker's words: "Yours: LSTM 1×64, 97.1%" (a char model: its nats per character)."""
        return self.label_text().text(lang)

    def label_text(self) -> Text:
        """``label`` as words to write in any language later (a note said again on the language switch)."""
        return Text(f"lens.choice.{self.kind}", model=self.title, score=self.score)


class LensModels:
    """The open models, by (page, kind); thread-safe.  At most ``size``, the least recently
    used dropped first."""

    def __init__(self, size: int = MAX_OPEN):
        self.size = size
        self._open: "OrderedDict[tuple[str, str], LensModel]" = OrderedDict()
        self._lock = threading.Lock()

    def open(self, owner: str, own: LensModel) -> LensModel:
        """``own`` is page ``owner``'s model of its kind from now on (its previous one goes)."""
        with self._lock:
            self._open.pop((owner, own.kind), None)
            self._open[(owner, own.kind)] = own
            while len(self._open) > self.size:
                self._open.popitem(last=False)
        return own

    def get(self, owner: str | None, kind: str) -> LensModel | None:
        with self._lock:
            own = self._open.get((owner, kind))
            if own is not None:
                self._open.move_to_end((owner, kind))
            return own

    def forget(self, owner: str, kind: str | None = None) -> int:
        """The page went away: its models go (those of ``kind`` only, if given).  Returns how many."""
        with self._lock:
            gone = [key for key in self._open if key[0] == owner and kind in (None, key[1])]
            for key in gone:
                del self._open[key]
        return len(gone)

    def __len__(self) -> int:
        return len(self._open)


LENS = LensModels()   # the app's: every page's open models
# Where the page whose event runs now is read (None: no page): the UI sets it (demo.ui_common
# reads gradio's request), so that the tabs' pure code finds the page's models (``page_model``).
_PAGE = [lambda: None]


def read_page_with(fn) -> None:
    """``fn()`` names the page whose event runs now (gradio's session hash), or None."""
    _PAGE[0] = fn


def current_page() -> str | None:
    return _PAGE[0]()


def page_model(kind: str, lens: LensModels | None = None) -> LensModel | None:
    """The model of ``kind`` the page whose event runs now opened in ``lens`` (the app's LENS)."""
    return (lens if lens is not None else LENS).get(current_page(), kind)
