"""Links that reopen a view: the state a teacher hands over, as a URL query, made from the tables
of controls (the app's own here: tab, lang, lesson; each tab's in ``demo/<tab>/controls.py``).
Pure (no gradio): the app reads ``request.query_params`` on load and applies what the link names;
"Copy link" encodes the page's controls.

    from demo import links
    link, problems = links.decode("tab=text&tmodel=rnn&tt=12")
    link.app.tab, link.tabs["text"].model, link.given["text"]    # "text", "rnn", {"model", "t"}
    links.encode(link.app, link.tabs)                            # "tab=text&tmodel=rnn&tt=12"

A field left out of a link keeps its default and is not in ``given``: the app only sets what a
link names.  A bad value is dropped (that field at its default) and named in ``problems``
(``UserError("app.link.param", param=KEY, message=...)``); a query that cannot be read at all
(too long, a key given twice, an unknown key) gives the default view and one problem.  The
models' own limits (a unit beyond this model's hidden size) are the tabs' to check when they
apply the link.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, unquote_plus

from demo.checks import choice, shown
from demo.digits import controls as digits_controls
from demo.errors import Text, UserError
from demo.fields import Field, Table
from demo.text import controls as text_controls
from demo.train import controls as train_controls

# The tabs in the page's order; each has a table of controls (a new tab: one line here).
TAB_TABLES: dict[str, Table] = {"digits": digits_controls.TABLE, "text": text_controls.TABLE,
                                 "train": train_controls.TABLE}
TABS = tuple(TAB_TABLES)
LANGS = ("en", "zh-CN")
MAX_QUERY = 12_000              # characters of a whole query
MAX_VALUE = 4_000               # characters of one value (the drawing is the longest)
MAX_FIELDS = 40


def check_lang(value) -> str | None:
    """None or "" (follow the browser), or a language: en, zh-CN (zh, zh-Hans, zh_CN ...)."""
    if value is None or value == "":
        return None
    v = str(value).strip().replace("_", "-").lower()
    if v in ("en", "en-us", "en-gb"):
        return "en"
    if v in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg"):
        return "zh-CN"
    raise UserError("app.check.choice", label=Text("app.link.lang"), choices=", ".join(LANGS), value=shown(value))


def check_lesson(value) -> str | None:
    if value is None or value == "":
        return None
    from demo.lessons import load_presets
    return choice(tuple(load_presets()), Text("app.link.lesson"))(value)


APP = Table("app", [
    Field("tab", "tab", TABS[0], check=choice(TABS, Text("app.link.tab")), example=TABS[-1]),
    Field("lang", "lang", None, check=check_lang, example="zh-CN"),
    Field("lesson", "lesson", None, check=check_lesson, example="first"),
], module=__name__)
AppControls = APP.Controls
TABLES: dict[str, Table] = {"app": APP, **TAB_TABLES}


def _owners() -> dict[str, str]:
    """URL key -> the table that holds it (a key in two tables is a mistake in the tables)."""
    owner: dict[str, str] = {}
    for name, table in TABLES.items():
        for key in table.by_key:
            if key in owner:
                raise ValueError(f"the URL key {key!r} is in both {owner[key]} and {name}")
            owner[key] = name
    return owner


OWNER = _owners()


@dataclass(frozen=True)
class Link:
    """A decoded link: the app's controls, each tab's, and the fields the link named."""
    app: AppControls = AppControls()
    tabs: dict = field(default_factory=lambda: {n: t.default for n, t in TAB_TABLES.items()})
    given: dict = field(default_factory=lambda: {n: frozenset() for n in TABLES})


def _split(query: str) -> list[tuple[str, str]]:
    if len(query) > MAX_QUERY:
        raise UserError("app.link.too_long", n=len(query), max=MAX_QUERY)
    q = query.split("#", 1)[0]
    if "?" in q:
        q = q.split("?", 1)[1]
    pairs = []
    for part in filter(None, q.split("&")):
        k, _, v = part.partition("=")
        try:
            pairs.append((unquote_plus(k, errors="strict"), unquote_plus(v, errors="strict")))
        except UnicodeDecodeError:
            raise UserError("app.link.not_utf8", part=shown(part[:40])) from None
    return pairs


def _items(query) -> list[tuple[str, str]]:
    """A mapping (request.query_params, parse_qs's lists of one) -> [(key, value)]."""
    items = query.multi_items() if hasattr(query, "multi_items") else list(query.items())
    pairs = []
    for k, v in items:
        if isinstance(v, (list, tuple)):
            if len(v) != 1:
                raise UserError("app.link.param", param=str(k)[:40], message=Text("app.link.twice"))
            v = v[0]
        if not isinstance(k, str) or not isinstance(v, str):
            raise UserError("app.link.not_text", value=shown(f"{k}={v}"))
        pairs.append((k, v))
    if sum(len(k) + len(v) + 2 for k, v in pairs) > MAX_QUERY:
        raise UserError("app.link.too_long", n=sum(len(k) + len(v) + 2 for k, v in pairs), max=MAX_QUERY)
    return pairs


def pairs(query) -> list[tuple[str, str]]:
    """A query string ("?a=1&b=2", "a=1", a whole URL), a mapping or None -> [(key, value)],
    URL-decoded; gradio's own keys (``__theme``) left out.  UserError for a query that cannot be
    read: too long, too many keys, a key given twice, a key no table has, a value too long."""
    if query is None:
        found = []
    elif isinstance(query, str):
        found = _split(query)
    elif hasattr(query, "items"):
        found = _items(query)
    else:
        raise UserError("app.link.not_text", value=type(query).__name__)
    found = [(k, v) for k, v in found if not k.startswith("__")]
    if len(found) > MAX_FIELDS:
        raise UserError("app.link.too_many", n=len(found), max=MAX_FIELDS)
    seen = set()
    for k, v in found:
        if k in seen:
            raise UserError("app.link.param", param=shown(k)[1:-1], message=Text("app.link.twice"))
        seen.add(k)
        if k not in OWNER:
            raise UserError("app.link.unknown", param=shown(k), known=", ".join(OWNER))
        if len(v) > MAX_VALUE:
            raise UserError("app.link.param", param=k, message=Text("app.link.value_long", n=len(v), max=MAX_VALUE))
    return found


def decode(query) -> tuple[Link, list[UserError]]:
    """A query -> (Link, problems).  Never raises: a bad field is left at its default and named in
    ``problems``; a query that cannot be read gives ``Link()`` (the default view) and its problem."""
    try:
        found = pairs(query)
    except UserError as e:
        return Link(), [e]
    by_table: dict[str, dict] = {n: {} for n in TABLES}
    for k, v in found:
        by_table[OWNER[k]][k] = v
    out, given, problems = {}, {}, []
    for name, table in TABLES.items():
        out[name], given[name], bad = table.decode_partial(by_table[name])
        problems += bad
    return Link(out.pop("app"), out, given), problems


def decode_strict(query) -> Link:
    """``decode``, raising the first problem (for the library and the tests)."""
    link, problems = decode(query)
    if problems:
        raise problems[0]
    return link


def encode(app=None, tabs: dict | None = None) -> str:
    """The app's and the tabs' controls -> the query without "?": the fields at their defaults
    left out, the tables in order (app first), each table's fields in its order, a drawing last."""
    parts = APP.encode(app or APP.default)
    for name, table in TAB_TABLES.items():
        controls = (tabs or {}).get(name)
        if controls is not None:
            parts += table.encode(controls)
    parts.sort(key=lambda kv: kv[0] == "ink")      # the drawing is the longest value: last
    return "&".join(f"{k}={quote(v, safe='-_.~,:')}" for k, v in parts)


# The "Copy link" button's js: after a Python handler returned encode(...) into a hidden textbox,
# `.then(None, [that_box], None, js=COPY_LINK_JS)` puts it in the address bar and on the clipboard
# (a page that is not https or localhost has no clipboard: the URL bar still changes).
COPY_LINK_JS = ("(q) => { const u = new URL(window.location.href); u.search = q ? '?' + q : ''; "
                "window.history.replaceState(null, '', u.toString()); "
                "if (navigator.clipboard) navigator.clipboard.writeText(u.toString()).catch(() => {}); return q; }")


def with_lesson(link: Link, query: str) -> Link:
    """``link`` over the controls a lesson sets (its ``link``, a query): what the link names wins."""
    base = decode_strict(query)
    tabs, given = {}, {}
    for name, table in TABLES.items():
        mine = link.app if name == "app" else link.tabs[name]
        theirs = base.app if name == "app" else base.tabs[name]
        values = {**table.values(theirs), **{f: getattr(mine, f) for f in link.given[name]}}
        try:
            tabs[name] = table.check(values)
            given[name] = link.given[name] | base.given[name]
        except UserError:       # the two do not go together (a drawing of each): the link's own
            tabs[name], given[name] = mine, link.given[name]
    app = tabs.pop("app")
    return Link(app, tabs, given)
