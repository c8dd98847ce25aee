"""Lessons: the app's panel groups, the presets a teacher puts in a link (``lesson=first``: which
groups to hide), and the guided tour's steps.  Pure (no gradio); the data lives beside this
module in ``demo/lessons/`` (presets.json, tour.json) and is checked when loaded.

    from demo import lessons
    lessons.visibility("first")       # {"pad": True, ..., "compare": False, ...}: gr.update(visible=...)
    lessons.tabs_shown("first")       # ("digits",)
    lessons.preset("gates").link      # "gate=f&gv=0.2": the controls the lesson sets
    lessons.preset_link("tang")       # its link and the unit it selects ("...&state=h&tunit=56")
    lessons.tour_steps("first")       # the tour steps of that lesson (dicts, both languages)
    lessons.page_step(step)           # a step as the page's tour gets it (words -> pattern, link -> choose)

A group is one section of a tab: its page puts it in a container with ``GROUPS[g].elem_id`` and
lists it in ``sections``; hiding it is ``gr.update(visible=False)`` from the load handler.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl

HERE = Path(__file__).resolve().parent / "lessons"
LANGS = ("en", "zh-CN")
TABS = ("digits", "text", "train")


@dataclass(frozen=True)
class Group:
    tab: str
    elem_id: str                # the id of the section's container (each tab's page.py makes it)


# Each tab's sections, top to bottom: the keys of its page's ``sections`` (tests check they agree)
SECTIONS = {
    "digits": ("pad", "prediction", "row_by_row", "compare", "why_rows", "why_unit", "why_whatif",
               "why_trajectory", "explain"),
    "text": ("generate", "steps", "units", "why_conn", "why_text_unit", "why_match", "why_text_whatif",
             "why_sampling", "surprise", "temperature"),
    "train": ("train_setup", "train_curves", "train_grads", "train_inside", "train_download"),
}
GROUPS: dict[str, Group] = {g: Group(tab, f"sec-{g.replace('_', '-')}") for tab, gs in SECTIONS.items() for g in gs}


@dataclass(frozen=True)
class Preset:
    name: str
    tabs: tuple[str, ...]
    show: frozenset[str]        # the groups shown
    tour: tuple[str, ...] | None  # the tour's step ids; None: every step whose group is shown
    title: dict
    about: dict
    link: str = ""              # controls the lesson sets, as a link's query ("gate=f&gv=0.2"); the
                                # link's own fields win (demo.links.with_lesson; tests decode each)
    unit: tuple[str, str] | None = None   # (model, feature): the lesson also selects the unit of that
                                # model that tracks the feature, when its units file says (preset_link)


def _texts(where: str, d: dict, fields) -> None:
    for lang in LANGS:
        if not isinstance(d.get(lang), dict):
            raise ValueError(f"{where}: no {lang!r} text")
        for f in fields:
            if not isinstance(d[lang].get(f), str) or not d[lang][f].strip():
                raise ValueError(f"{where}: {lang}.{f} is missing or empty")


def unit_query(model: str, feature: str, weights_dir=None) -> str:
    """"state=c&tunit=25": the unit of char model ``model`` that its units file
    (weights/char_MODEL_units.json, training/find_units.py) says tracks ``feature`` (units.FEATURES,
    TANG_FEATURES); "" when the model, a units file made for its weights, or that feature is not
    there (the page then selects the model's strongest unit)."""
    from demo.checkpoint import WEIGHTS_DIR
    from demo.text.units import load_units, units_path
    folder = Path(weights_dir or WEIGHTS_DIR)
    try:
        sha = json.loads((folder / f"char_{model}.json").read_text(encoding="utf-8")).get("weights_sha256")
    except (OSError, ValueError, AttributeError):
        return ""
    found = load_units(units_path(folder, model), sha)     # None: missing, or made for other weights
    unit = next((u for u in (found[0] if found else []) if u.feature == feature), None)
    return f"state={unit.state_name}&tunit={unit.unit}" if unit else ""


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
        link, unit = str(p.get("link", "")), None
        if "unit" in p:
            if set(p["unit"]) != {"model", "feature"}:
                raise ValueError(f"{where}: unit is {{'model': NAME, 'feature': a units feature}}")
            unit = (str(p["unit"]["model"]), str(p["unit"]["feature"]))
            from demo.text.units import CORPORA
            if not any(unit[1] in features for features in CORPORA.values()):
                raise ValueError(f"{where}: unknown unit feature {unit[1]!r} (demo.text.units)")
        out[name] = Preset(name, tabs, show, tour, {k: p[k]["title"] for k in LANGS},
                           {k: p[k]["about"] for k in LANGS}, link, unit)
    if "full" not in out:
        raise ValueError(f"{Path(path).name}: the preset 'full' (nothing hidden) is missing")
    return out


# -- the tour ----------------------------------------------------------------------------------

CONDITION_KINDS = ("exists", "text", "value", "tab", "event", "any", "all")
# The link keys a step may set as it begins ("link": "tcorpus=tang"): {key: (its tab, the radio)}.
# The tour clicks the value's input like a learner would: its handler runs, and a choice the page
# refuses (a corpus whose model is missing) is put back, with a note saying how to make it.
STEP_CHOICES = {"tcorpus": ("text", "#text-corpus")}
EVENTS = ("click", "input", "change", "pointerover", "pointerdown")
MIN_STEPS, MAX_STEPS = 10, 14


def check_condition(c, where: str) -> None:
    """A completion condition the tour's JS evaluates (see demo/tour.js):
    {"exists": SEL} an element matches; {"text": SEL, ...} / {"value": SEL, ...} its text /
    its form value, with "equals", "pattern" (a JS regular expression), "words" (a key of
    demo/i18n: the value holds its text in some language; the page gets it as a pattern, see
    page_step), "nonempty": true, "changed": true (differs from when the step began);
    {"tab": NAME} that tab is selected; {"event": "click", "on": SEL} the user does that on (a
    child of) SEL during the step; {"any": [...]} / {"all": [...]}."""
    if not isinstance(c, dict):
        raise ValueError(f"{where}: a condition is an object, got {c!r}")
    kinds = [k for k in CONDITION_KINDS if k in c]
    if len(kinds) != 1:
        raise ValueError(f"{where}: a condition has exactly one of {CONDITION_KINDS}, got {sorted(c)}")
    kind = kinds[0]
    allowed = {"exists": {"exists"}, "tab": {"tab"}, "event": {"event", "on"}, "any": {"any"}, "all": {"all"},
               "text": {"text", "equals", "pattern", "words", "nonempty", "changed"},
               "value": {"value", "equals", "pattern", "words", "nonempty", "changed"}}[kind]
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
        if kind in ("text", "value") and not (set(c) & {"equals", "pattern", "words", "nonempty", "changed"}):
            raise ValueError(f"{where}: say what the {kind} must be (equals, pattern, words, nonempty or changed)")
        if "pattern" in c and "words" in c:
            raise ValueError(f"{where}: a condition has a pattern or words, not both")
        if "words" in c:
            c = {**c, "pattern": words_pattern(c["words"], where)}
        if "pattern" in c:
            re.compile(c["pattern"])  # close enough to JS's syntax for the simple patterns used


def words_pattern(key, where: str = "words") -> str:
    """A key of demo/i18n -> a pattern matching its text in any language (the page shows one):
    what a condition waits for, named by what it is (a unit's feature) rather than by words."""
    from demo import i18n
    texts = []
    for lang in LANGS:
        try:
            texts.append(i18n.t(str(key), lang))
        except KeyError:
            raise ValueError(f"{where}: no text {key!r} in demo/i18n/{lang}.json") from None
    # escaped alike for Python's re and JavaScript's RegExp
    return "|".join(re.sub(r"[.*+?^${}()|\[\]\\/-]", r"\\\g<0>", t) for t in dict.fromkeys(texts))


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
        if "link" in s:
            check_step_link(s["link"], s["tab"], where)
        _texts(where, s, ("title", "body"))
        for lang in LANGS:
            n = len(re.findall(r"[\u3002\uff01\uff1f]|[.!?](?=\s|$)", s[lang]["body"].strip()))
            if not 1 <= n <= 3:
                raise ValueError(f"{where}: the {lang} body should be two or three sentences, found {n}")
    return data


def step_choices(link) -> list[tuple[str, str]]:
    """A step's link ("tcorpus=tang") -> [(key, value)]; ValueError for one that is not a short
    query of distinct keys."""
    if not isinstance(link, str) or not link or len(link) > 200:
        raise ValueError("a step's link is a link's query, e.g. 'tcorpus=tang'")
    found = parse_qsl(link, keep_blank_values=True, strict_parsing=True)
    if len({k for k, _ in found}) != len(found):
        raise ValueError(f"a key is given twice in {link!r}")
    return found


def check_step_link(link, tab: str, where: str) -> None:
    """A step's link: STEP_CHOICES keys of the step's own tab, each with a value that the tab's
    table of controls accepts (as a link's would be: demo.links)."""
    from demo.text.controls import TABLE as TEXT     # the tabs with choices (demo.links.TAB_TABLES)
    tables = {"text": TEXT}
    try:
        found = step_choices(link)
        for key, value in found:
            if key not in STEP_CHOICES or STEP_CHOICES[key][0] != tab:
                raise ValueError(f"a step's link sets only {', '.join(STEP_CHOICES)} of its tab, not {key!r}")
            tables[tab].decode({key: value})
    except ValueError as e:             # UserError too: a value the table refuses
        raise ValueError(f"{where}: link {link!r}: {e}") from None


def page_step(step: dict) -> dict:
    """A tour step as the page's tour gets it (demo/tour.js): its done condition with "words"
    turned into a pattern, and its link into the radios to choose ("choose": [{"radio": SEL,
    "value": V}])."""

    def resolved(c):
        if isinstance(c, dict):
            c = {k: ([resolved(x) for x in v] if k in ("any", "all") else v) for k, v in c.items()}
            if "words" in c:
                c["pattern"] = words_pattern(c.pop("words"))
        return c
    out = {k: step[k] for k in ("id", "group", "tab", "target", *LANGS)}
    out["done"] = resolved(step["done"])
    out["choose"] = [{"radio": STEP_CHOICES[k][1], "value": v} for k, v in
                     (step_choices(step["link"]) if "link" in step else [])]
    return out


def preset(name: str | None) -> Preset:
    presets = load_presets()
    if name in (None, ""):
        return presets["full"]
    if name not in presets:
        raise ValueError(f"unknown lesson {name!r}; choose one of {', '.join(presets)}")
    return presets[name]


def preset_link(name: str | None, weights_dir=None) -> str:
    """The controls lesson ``name`` sets, as a link's query: its link, and its unit (the unit
    that the units file in ``weights_dir``, None: weights/, names for the preset's feature)."""
    p = preset(name)
    return "&".join(filter(None, (p.link, unit_query(*p.unit, weights_dir=weights_dir) if p.unit else "")))


def visibility(name: str | None) -> dict[str, bool]:
    """{group: shown} for the lesson (None: everything shown)."""
    p = preset(name)
    return {g: g in p.show for g in GROUPS}


def hidden_groups(name: str | None) -> list[str]:
    return [g for g, shown in visibility(name).items() if not shown]


def tabs_shown(name: str | None) -> tuple[str, ...]:
    return preset(name).tabs


def tour_steps(name: str | None = None) -> list[dict]:
    """The tour of a lesson: its listed steps, else every step whose group it shows."""
    p = preset(name)
    steps = load_tour()["steps"]
    if p.tour is not None:
        by_id = {s["id"]: s for s in steps}
        return [by_id[i] for i in p.tour]
    return [s for s in steps if s["group"] in p.show]
