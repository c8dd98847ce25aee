"""Lessons: the app's panel groups, the presets a teacher puts in a link (``lesson=first``: which
groups to hide), and the guided tour's steps.  Pure (no gradio); the data lives beside this
module in ``demo/lessons/`` (presets.json, tour.json) and is checked when loaded.

    from demo import lessons
    lessons.visibility("first")       # {"pad": True, ..., "compare": False, ...}: gr.update(visible=...)
    lessons.tabs_shown("first")       # ("digits",)
    lessons.hidden_css("first")       # "#sec-compare, ... { display: none !important; }"
    lessons.tour_steps("first")       # the tour steps of that lesson (dicts, both languages)

A group is one section of a tab.  The lead wraps each in a container with ``GROUPS[g].elem_id``
(``gr.Column(elem_id="sec-compare")`` or ``gr.Group``), so hiding is ``gr.update(visible=False)``
on it from the load handler, or the CSS of ``hidden_css`` for a page without Python.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent / "lessons"
LANGS = ("en", "zh-CN")
TABS = ("digits", "text")


@dataclass(frozen=True)
class Group:
    tab: str
    elem_id: str                # the id of the section's container (the lead adds it)
    parts: tuple[str, ...]      # the tab's attributes (components) in this section
    title: dict                 # {"en": ..., "zh-CN": ...}


def _g(tab, name, parts, en, zh) -> tuple[str, Group]:
    return name, Group(tab, f"sec-{name.replace('_', '-')}", tuple(parts.split()), {"en": en, "zh-CN": zh})


GROUPS: dict[str, Group] = dict([
    # Digits (demo/digits/tab.py), top to bottom
    _g("digits", "pad", "pad hint picture examples", "Drawing pad", "画板"),
    _g("digits", "prediction", "final model summary seen", "Prediction", "预测"),
    _g("digits", "row_by_row", "t play stop caption rows probs confidence order hmap panels", "Row by row", "逐行"),
    _g("digits", "compare", "compare", "Compare the three cells", "比较三种单元"),
    _g("digits", "why_rows", "influence curves curves_text", "Which rows mattered", "哪些行起了作用"),
    _g("digits", "why_unit", "unit unit_caption unit_rows unit_profile unit_thumbs", "One unit", "单个单元"),
    _g("digits", "why_whatif", "ablate ablate_unit top_k ablate_top gate gate_value from_row blank_rows reset "
       "difference edited_final edited_confidence", "What if: interventions", "假如：干预实验"),
    _g("digits", "why_trajectory", "trajectory", "Where the state travels", "状态的轨迹"),
    _g("digits", "explain", "explain", "Explain: equations and shapes", "解释：公式与张量形状"),
    # Text (demo/text/tab.py)
    _g("text", "generate", "seed model length temperature top_k rng_seed go stop dice generated",
       "Generate", "生成"),
    _g("text", "steps", "unit_pick which unit coloured t step_view hmap", "See each step", "查看每一步"),
    _g("text", "units", "units_table", "Units worth looking at", "值得一看的单元"),
    _g("text", "why_conn", "conn_view conn_plot conn_words", "How far back it looks", "能回看多远"),
    _g("text", "why_text_unit", "unit_plot unit_contexts unit_features", "One unit (text)", "单个单元（文本）"),
    _g("text", "why_match", "span_start span_end threshold match_button match_view", "Select and match",
       "选择与匹配"),
    _g("text", "why_text_whatif", "clamp_box ablate_box edit_button example_button edit_summary plain_text "
       "edited_text", "What if: interventions while generating", "假如：生成时干预"),
    _g("text", "why_sampling", "samp_temperature samp_top_k sampling_view", "Sampling made visible", "采样可视化"),
    _g("text", "surprise", "pasted score_button summary surprise_view", "How surprising is this text?",
       "这段文本有多意外？"),
    _g("text", "temperature", "compare_button columns", "Temperature", "温度"),
])


@dataclass(frozen=True)
class Preset:
    name: str
    tabs: tuple[str, ...]
    show: frozenset[str]        # the groups shown
    tour: tuple[str, ...] | None  # the tour's step ids; None: every step whose group is shown
    title: dict
    about: dict


def _texts(where: str, d: dict, fields) -> None:
    for lang in LANGS:
        if not isinstance(d.get(lang), dict):
            raise ValueError(f"{where}: no {lang!r} text")
        for f in fields:
            if not isinstance(d[lang].get(f), str) or not d[lang][f].strip():
                raise ValueError(f"{where}: {lang}.{f} is missing or empty")


@lru_cache(maxsize=None)
def load_presets(path: Path = HERE / "presets.json") -> dict[str, Preset]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))["presets"]
    steps = {s["id"] for s in load_tour()["steps"]}
    out = {}
    for name, p in data.items():
        where = f"{Path(path).name}: preset {name!r}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,23}", name):
            raise ValueError(f"{where}: a preset name is a short lower-case word")
        tabs = tuple(p["tabs"])
        if not tabs or set(tabs) - set(TABS):
            raise ValueError(f"{where}: tabs must be some of {TABS}, got {tabs}")
        show = frozenset(GROUPS) if p["show"] == "all" else frozenset(p["show"])
        unknown = show - set(GROUPS)
        if unknown:
            raise ValueError(f"{where}: unknown group(s) {sorted(unknown)}; known: {', '.join(GROUPS)}")
        show = frozenset(g for g in show if GROUPS[g].tab in tabs)
        tour = None if p.get("tour", "shown") == "shown" else tuple(p["tour"])
        if tour is not None and set(tour) - steps:
            raise ValueError(f"{where}: unknown tour step(s) {sorted(set(tour) - steps)}")
        _texts(where, p, ("title", "about"))
        out[name] = Preset(name, tabs, show, tour, {k: p[k]["title"] for k in LANGS},
                           {k: p[k]["about"] for k in LANGS})
    if "full" not in out:
        raise ValueError(f"{Path(path).name}: the preset 'full' (nothing hidden) is missing")
    return out


# -- the tour ----------------------------------------------------------------------------------

CONDITION_KINDS = ("exists", "text", "value", "tab", "event", "any", "all")
EVENTS = ("click", "input", "change", "pointerover", "pointerdown")
MIN_STEPS, MAX_STEPS = 10, 14


def check_condition(c, where: str) -> None:
    """A completion condition the tour's JS evaluates (see demo/tour.js):
    {"exists": SEL} an element matches; {"text": SEL, ...} / {"value": SEL, ...} its text /
    its form value, with "equals", "pattern" (a JS regular expression), "nonempty": true,
    "changed": true (differs from when the step began); {"tab": NAME} that tab is selected;
    {"event": "click", "on": SEL} the user does that on (a child of) SEL during the step;
    {"any": [...]} / {"all": [...]}."""
    if not isinstance(c, dict):
        raise ValueError(f"{where}: a condition is an object, got {c!r}")
    kinds = [k for k in CONDITION_KINDS if k in c]
    if len(kinds) != 1:
        raise ValueError(f"{where}: a condition has exactly one of {CONDITION_KINDS}, got {sorted(c)}")
    kind = kinds[0]
    allowed = {"exists": {"exists"}, "tab": {"tab"}, "event": {"event", "on"}, "any": {"any"}, "all": {"all"},
               "text": {"text", "equals", "pattern", "nonempty", "changed"},
               "value": {"value", "equals", "pattern", "nonempty", "changed"}}[kind]
    if set(c) - allowed:
        raise ValueError(f"{where}: unexpected key(s) {sorted(set(c) - allowed)} in a {kind!r} condition")
    if kind in ("any", "all"):
        if not isinstance(c[kind], list) or not c[kind]:
            raise ValueError(f"{where}: {kind!r} takes a non-empty list of conditions")
        for k, sub in enumerate(c[kind]):
            check_condition(sub, f"{where}.{kind}[{k}]")
    elif kind == "tab":
        if c["tab"] not in TABS:
            raise ValueError(f"{where}: tab must be one of {TABS}")
    elif kind == "event":
        if c["event"] not in EVENTS or not isinstance(c.get("on"), str):
            raise ValueError(f"{where}: an event condition is {{'event': one of {EVENTS}, 'on': selector}}")
    else:
        if not isinstance(c[kind], str) or not c[kind].strip():
            raise ValueError(f"{where}: {kind!r} takes a CSS selector")
        if kind in ("text", "value") and not (set(c) & {"equals", "pattern", "nonempty", "changed"}):
            raise ValueError(f"{where}: say what the {kind} must be (equals, pattern, nonempty or changed)")
        if "pattern" in c:
            re.compile(c["pattern"])  # close enough to JS's syntax for the simple patterns used


@lru_cache(maxsize=None)
def load_tour(path: Path = HERE / "tour.json") -> dict:
    """tour.json, checked: {"ui": {lang: {key: text}}, "tabs": {tab: {lang: label}}, "steps": [...]}.
    Each step: id, group (GROUPS), tab, target (CSS selector), done (a condition), and per
    language a title and a body (two or three sentences)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    name = Path(path).name
    ui = data["ui"]
    keys = set(ui["en"])
    for lang in LANGS:
        if set(ui.get(lang, {})) != keys:
            raise ValueError(f"{name}: ui.{lang} must have the keys {sorted(keys)}")
    for tab in TABS:
        if set(data["tabs"].get(tab, {})) != set(LANGS):
            raise ValueError(f"{name}: tabs.{tab} needs a label in each of {LANGS}")
    steps = data["steps"]
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise ValueError(f"{name}: {len(steps)} steps; the tour has {MIN_STEPS} to {MAX_STEPS}")
    ids = set()
    for k, s in enumerate(steps):
        where = f"{name}: step {k + 1} ({s.get('id')!r})"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(s.get("id"))) or s["id"] in ids:
            raise ValueError(f"{where}: each step needs a unique id (a lower-case word)")
        ids.add(s["id"])
        if s.get("group") not in GROUPS:
            raise ValueError(f"{where}: group must be one of {', '.join(GROUPS)}")
        if s.get("tab") != GROUPS[s["group"]].tab:
            raise ValueError(f"{where}: tab must be {GROUPS[s['group']].tab!r}, the tab of group {s['group']!r}")
        if not isinstance(s.get("target"), str) or not s["target"].startswith("#"):
            raise ValueError(f"{where}: target must be a CSS selector starting with an #id")
        check_condition(s.get("done"), f"{where} done")
        _texts(where, s, ("title", "body"))
        for lang in LANGS:
            n = len(re.findall(r"[。！？]|[.!?](?=\s|$)", s[lang]["body"].strip()))
            if not 1 <= n <= 3:
                raise ValueError(f"{where}: the {lang} body should be two or three sentences, found {n}")
    return data


def preset(name: str | None) -> Preset:
    presets = load_presets()
    if name in (None, ""):
        return presets["full"]
    if name not in presets:
        raise ValueError(f"unknown lesson {name!r}; choose one of {', '.join(presets)}")
    return presets[name]


def visibility(name: str | None) -> dict[str, bool]:
    """{group: shown} for the lesson (None: everything shown)."""
    p = preset(name)
    return {g: g in p.show for g in GROUPS}


def hidden_groups(name: str | None) -> list[str]:
    return [g for g, shown in visibility(name).items() if not shown]


def tabs_shown(name: str | None) -> tuple[str, ...]:
    return preset(name).tabs


def hidden_css(name: str | None) -> str:
    """CSS that hides the lesson's hidden groups by their containers' ids ("" when none)."""
    hidden = hidden_groups(name)
    if not hidden:
        return ""
    return ", ".join(f"#{GROUPS[g].elem_id}" for g in hidden) + " { display: none !important; }"


def tour_steps(name: str | None = None) -> list[dict]:
    """The tour of a lesson: its listed steps, else every step whose group it shows."""
    p = preset(name)
    steps = load_tour()["steps"]
    if p.tour is not None:
        by_id = {s["id"]: s for s in steps}
        return [by_id[i] for i in p.tour]
    return [s for s in steps if s["group"] in p.show]
