"""What the Text tab shows, rendering only: HTML strings (characters coloured by one hidden unit or
by surprise, the top-k bars of one step, the units table, asking why's views), from the frozen
results of ``demo.text.analysis`` and ``demo.text.units`` (the units × steps heatmap is
``demo.text.heatmap``'s).  Nothing here runs a model or imports gradio.

Everything user-typed or model-written that ends up in HTML goes through ``esc`` (html.escape,
newlines as <br>), so markup in a seed or a pasted text is shown, never run.

    from demo.text import views
    views.unit_html(trace, "c", 25)        # the generated text coloured by c[25]
    views.unit_html(trace, "c", 25, "zh-CN")   # every view takes the page's language last
    python scripts/preview_text_views.py   # preview: writes /tmp/text_views_preview.html
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np

from demo import render
from demo.i18n import t as tr_
# the heatmap is demo.text.heatmap's; views' names for it are kept (tests, scripts/preview_text_views.py)
from demo.text.heatmap import CELL_W, colour_limit, heatmap_image, heatmap_value  # noqa: F401

if TYPE_CHECKING:  # for the annotations only: rendering needs no model code
    from demo.text.analysis import TextTrace
    from demo.text.units import Unit

TOP_K_SHOWN = 10                # bars in the step view
SURPRISE_LIM = 6.0              # nats at which the surprise colour saturates (p ~ 0.25 %)


# ---------------------------------------------------------------------------------------------
# HTML

def esc(ch: str) -> str:
    """One character or a string, made safe for HTML: <, >, &, quotes escaped; newlines as <br>."""
    return html.escape(ch, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def show_char(ch: str, lang: str = "en") -> str:
    """A readable name for a character in tables (not HTML-escaped)."""
    key = {"\n": "newline", " ": "space", "\t": "tab"}.get(ch)
    return tr_(f"text.char.{key}", lang) if key else ch


def feature_text(feature: str, description: str, lang: str = "en") -> str:
    """The one line about a text feature (units.FEATURES) in ``lang``; unknown ones as given."""
    try:
        return tr_(f"text.feature.{feature}", lang)
    except KeyError:
        return description


def unit_label(u: Unit, lang: str = "en") -> str:
    """A unit worth looking at, for the picker: "c[25] · position in the line ... (r = +0.61)"."""
    return f"{u.state_name}[{u.unit}] · {feature_text(u.feature, u.description, lang)} (r = {u.r:+.2f})"


def text_colour_on(rgb) -> str:
    """Black or white text, whichever reads better on this background."""
    r, g, b = (int(v) for v in rgb)
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


# characters after which the coloured text breaks the line: a newline, and the end of a Chinese
# sentence (full stop, full-width ! and ?), so that a Tang poem shows one couplet a line
BREAK_AFTER = "\n\u3002\uff01\uff1f"


def char_spans(text: str, colours: np.ndarray, titles: list[str], step_ids: bool = False) -> str:
    """text (n chars) with one background colour (n, 3) and tooltip each -> escaped HTML spans.
    A newline shows as a small ↵ (so its colour is visible) and then breaks the line; so does
    the end of a Chinese sentence (BREAK_AFTER)."""
    out = []
    for t, (ch, rgb, title) in enumerate(zip(text, colours, titles)):
        shown = "↵" if ch == "\n" else esc(ch)
        data = f' data-t="{t + 1}"' if step_ids else ""
        out.append(f'<span{data} style="background:#{int(rgb[0]):02x}{int(rgb[1]):02x}{int(rgb[2]):02x};'
                   f'color:{text_colour_on(rgb)}" title="{esc(title)}">{shown}</span>')
        if ch in BREAK_AFTER:
            out.append("<br>")
    return "".join(out)


TEXT_STYLE = ("font-family:var(--font-mono,monospace);font-size:14px;line-height:1.7;"
              "white-space:pre-wrap;word-break:break-all")


def unit_html(trace: TextTrace, state_name: str, unit: int, lang: str = "en") -> str:
    """The generated text, each character coloured by unit `unit` of `state_name` (h or c) in the
    state that chose it: blue negative, white zero, red positive.  Spans carry data-t (1-based step)."""
    v = trace.unit_values(state_name, unit)  # (n,)
    lim = colour_limit(v, state_name)
    titles = [tr_("text.unit_html.step", lang, t=t + 1, state=state_name, unit=unit, value=x)
              for t, x in enumerate(v.tolist())]
    seed = esc(trace.seed) if trace.seed.strip() else ""   # a poem's: the end of the poem before, no blank line
    legend = tr_("text.unit_html.legend", lang, state=state_name, unit=unit, lim=lim)
    return (f'<div style="{TEXT_STYLE}"><span style="opacity:.55" title="{esc(tr_("text.unit_html.seed", lang))}">'
            f'{seed}</span>{char_spans(trace.text, render.colorize(v, "diverging", lim), titles, True)}</div>'
            + html_legend("diverging", -1, 1, tr_("text.legend.unit", lang, name=f"{state_name}[{unit}]"),
                          f"−{lim:.2g}", f"+{lim:.2g}")
            + f'<div style="font-size:12px;opacity:.7">{esc(legend)}</div>')


def surprise_html(text: str, surprise: np.ndarray, lang: str = "en") -> str:
    """Each character coloured by -ln p under the model (white: expected, red: surprising), with
    a tooltip giving nats, bits and p.  The first character has no prediction (grey)."""
    titles, vals = [], np.nan_to_num(surprise, nan=0.0)
    for t, (ch, s) in enumerate(zip(text, surprise.tolist())):
        name = repr(show_char(ch, lang))
        titles.append(tr_("text.surprise.first", lang, char=name) if t == 0 or not math.isfinite(s) else
                      tr_("text.surprise.char", lang, char=name, nats=s, bits=s / math.log(2), p=math.exp(-s)))
    colours = render.colorize(np.clip(vals, 0, SURPRISE_LIM) / SURPRISE_LIM, "diverging", 1.0)
    colours[0] = render.GUTTER
    return (f'<div style="{TEXT_STYLE}">{char_spans(text, colours, titles, True)}</div>'
            + html_legend("diverging", 0, 1, tr_("text.surprise.legend", lang), "0", f"≥ {SURPRISE_LIM:g}")
            + f'<div style="font-size:12px;opacity:.7">{esc(tr_("text.surprise.click", lang))}</div>')


def surprise_summary(text: str, surprise: np.ndarray, lang: str = "en") -> str:
    """Totals as escaped HTML: nats and bits per character and the most surprising characters."""
    s = surprise[1:]
    nats = float(np.mean(s))
    worst = np.argsort(-s, kind="stable")[:5] + 1
    listed = tr_("app.sep.list", lang).join(tr_("text.surprise.at", lang, char=f"<code>{esc(repr(show_char(text[i], lang)))}</code>",
                          position=i + 1, nats=float(surprise[i])) for i in worst)
    total = tr_("text.surprise.summary", lang, nats=nats, bits=nats / math.log(2), n=len(s), total=float(np.sum(s)))
    return (f"<p>{_bold_head(total)}<br>"
            f"{tr_('text.surprise.worst', lang, listed=listed, lim=SURPRISE_LIM)}</p>")


def _bold_head(text: str) -> str:
    """The summary's figures in bold: escaped ``text`` with its part before the first bracket,
    half or full width (the rates), in <b>."""
    cut = min((i for i in (text.find(" ("), text.find("\uff08")) if i >= 0), default=len(text))
    return f"<b>{esc(text[:cut])}</b>{esc(text[cut:])}"


def topk_rows(probs: np.ndarray, vocab, k: int = TOP_K_SHOWN) -> list[tuple[str, float]]:
    """(V,) distribution -> the k likeliest (char, p), highest first."""
    k = min(k, len(vocab))
    top = np.argsort(-probs, kind="stable")[:k]
    return [(vocab[j], float(probs[j])) for j in top]


def step_html(trace: TextTrace, t: int, k: int = TOP_K_SHOWN, lang: str = "en") -> str:
    """Step t (1-based): the context, the character chosen, and the top-k next-character bars."""
    text, n = trace.text, len(trace.text)
    t = min(max(int(t), 1), n)
    ch, p = text[t - 1], math.exp(-float(trace.surprise[t - 1]))
    context = (trace.seed + text)[:len(trace.seed) + t - 1][-20:]  # what it had read
    rows = []
    for c, q in topk_rows(trace.probs[t - 1], trace.vocab, k):
        bold = "font-weight:700;" if c == ch else ""
        rows.append(f'<tr style="{bold}"><td style="font-family:var(--font-mono,monospace);'
                    f'padding-right:8px;white-space:nowrap">{esc(show_char(c, lang))}</td><td style="width:100%">'
                    f'<div style="background:#ef8a62;height:14px;width:{100 * q:.1f}%"></div></td>'
                    f'<td style="padding-left:8px;text-align:right">{q:.3f}</td></tr>')
    caption = tr_("text.step.caption", lang, t="\x00t\x00", n=n, context="\x00c\x00", char="\x00w\x00", p=p,
                  nats=-math.log(p))
    caption = (esc(caption).replace("\x00t\x00", f"<b>{t}</b>")
               .replace("\x00c\x00", f'<code>{esc(context).replace("<br>", "↵")}</code>')
               .replace("\x00w\x00", f"<code>{esc(show_char(ch, lang))}</code>"))
    return (f'<p>{caption}</p>'
            f'<table style="width:100%;border-collapse:collapse">{"".join(rows)}</table>'
            f'<p style="font-size:12px;opacity:.7">{esc(tr_("text.step.note", lang))}</p>')


def units_table_html(units: list[Unit], source: str, lang: str = "en") -> str:
    """The units worth looking at, as an escaped HTML table."""
    if not units:
        return f"<p>{esc(tr_('text.units_table.none', lang))}</p>"
    rows = "".join(f"<tr><td><code>{u.state_name}[{u.unit}]</code></td>"
                   f"<td>{esc(feature_text(u.feature, u.description, lang))}</td>"
                   f"<td style='text-align:right'>{u.r:+.2f}</td></tr>" for u in units)
    head = "".join(f"<th>{esc(tr_(f'text.units_table.{k}', lang))}</th>" for k in ("unit", "tracks", "r"))
    return (f"<table style='width:100%'><tr>{head}</tr>{rows}</table><p style='font-size:12px;opacity:.7'>"
            f"{esc(tr_('text.units_table.found', lang, source=source_text(source, lang)))}</p>")


def source_text(source, lang: str = "en") -> str:
    """Where the units were found (units.load_units' source: a Text, or a file's own words)."""
    return source.text(lang) if hasattr(source, "text") else str(source)


# ---------------------------------------------------------------------------------------------
# Asking why: connectivity, one unit, select and match, interventions, sampling

DECADES = 4                     # connectivity colours span 10^-DECADES .. 1 of the largest value
CONN_SHOWN = 600                # characters before the explained one shown tinted


def html_legend(kind: str, lo: float, hi: float, what: str, lo_label: str | None = None,
                hi_label: str | None = None) -> str:
    """A colour bar with its scale, as HTML: the ramp of ``render.colorize`` from lo to hi (for
    kind "diverging", lo..hi within -1..1 of the map) with labels at both ends."""
    ramp = np.linspace(lo, hi, 9) if kind == "diverging" else np.linspace(0, 1, 9)
    stops = ", ".join("#%02x%02x%02x" % tuple(int(c) for c in render.colorize(v, kind, 1.0)) for v in ramp)
    # the bar and its two ends stay one line on a phone; only the words after them wrap
    return (f'<div class="rl-legend" style="font-size:12px;display:flex;flex-wrap:wrap;align-items:center;'
            f'gap:2px 6px;margin-top:4px"><span style="white-space:nowrap;display:inline-flex;align-items:center;gap:6px">'
            f'<span>{esc(lo_label if lo_label is not None else f"{lo:+.2g}")}</span>'
            f'<span style="display:inline-block;width:160px;height:10px;background:linear-gradient(to right, {stops});'
            f'border:1px solid #888"></span><span>{esc(hi_label if hi_label is not None else f"{hi:+.2g}")}</span></span>'
            f'<span style="opacity:.75">{esc(what)}</span></div>')


def connectivity_html(text: str, position: int, conn: np.ndarray, model: str, shown: int = CONN_SHOWN,
                      lang: str = "en") -> str:
    """text[:position] tinted by connectivity (white: none, red: the largest), on a log scale
    over DECADES decades; text[position], the character predicted, outlined.  Hover: distance
    and value."""
    conn = np.asarray(conn, np.float64)
    peak = float(conn.max()) if conn.size else 0.0
    a = max(0, position - shown)
    rel = np.log10(np.maximum(conn[a:], 1e-300) / max(peak, 1e-300))  # 0 .. -inf
    u = np.clip((rel + DECADES) / DECADES, 0, 1)
    colours = render.colorize(u, "diverging", 1.0)
    titles = [tr_("text.conn.title", lang, char=repr(show_char(ch, lang)), distance=position - j, value=c, rel=r)
              for j, ch, c, r in zip(range(a, position), text[a:position], conn[a:].tolist(), rel.tolist())]
    target = text[position]
    p_note = (f'<span data-pos="{position}" style="outline:2px solid #ff8c00;background:#fff3e0;color:#000" '
              f'title="{esc(tr_("text.conn.predicted", lang))}">{"↵" if target == chr(10) else esc(target)}</span>')
    lead = f'<span style="opacity:.55">{esc(tr_("text.conn.before", lang, n=a))}</span> ' if a else ""
    d1 = int(np.argmax(conn[::-1]) + 1) if conn.size else 0
    return (f'<div id="conn-text" style="{TEXT_STYLE}">{lead}{char_spans(text[a:position], colours, titles)}{p_note}</div>'
            + html_legend("diverging", 0, 1, tr_("text.conn.legend", lang), f"10^−{DECADES}",
                          tr_("text.conn.largest", lang))
            + f'<div style="font-size:12px;opacity:.75">'
              f'{esc(tr_("text.conn.note", lang, model=model, distance=d1, peak=peak))}</div>')


def connectivity_frame(curves: dict[str, np.ndarray], max_distance: int = 200, lang: str = "en"):
    """{series: connectivity by distance (D,), index 0 = distance 1} -> the LinePlot's table:
    log10 of each value relative to the series' largest (0 = most connected; -4 = 10,000x less).
    The series column is named in ``lang`` (``conn_color``: the plot's tooltip shows the name)."""
    import pandas as pd
    rows = []
    for name, v in curves.items():
        v = np.asarray(v, np.float64)[:max_distance]
        if not v.size:
            continue
        rel = np.log10(np.maximum(v, 1e-300) / max(float(v.max()), 1e-300))
        rows += [(d + 1, name, float(max(r, -12.0))) for d, r in enumerate(rel)]
    return pd.DataFrame(rows, columns=["distance", conn_color(lang), "log10 relative connectivity"])


def conn_color(lang: str = "en") -> str:
    """The name of the connectivity plot's series column in ``lang``."""
    return tr_("text.conn_plot.color", lang)


def connectivity_words(summaries: dict[str, dict], lang: str = "en") -> str:
    """Over-data curves in words: {model title: the lookups' meta["connectivity"]}."""
    if not summaries:
        return tr_("text.conn.none", lang)
    parts = [tr_("text.conn.model", lang, model=esc(name), half=c["half"], ninety=c["ninety"], d2=c["below_1e-2"],
                 d4=c["below_1e-4"]) for name, c in summaries.items()]
    c0 = next(iter(summaries.values()))
    return tr_("text.conn.over_data", lang, positions=c0["positions"], max_distance=c0["max_distance"],
               models=tr_("app.sep.clause", lang).join(parts))


def connectivity_legend(colours: dict[str, str], lang: str = "en") -> str:
    """The connectivity plot's colour key as HTML: {series name: "#rrggbb"}, a swatch and the
    name each, then how to read the curves (what the plot itself does not say)."""
    items = "".join(f'<span class="rl-key-item" style="display:inline-flex;align-items:center;gap:4px;'
                    f'margin-right:12px"><span style="display:inline-block;width:18px;height:3px;'
                    f'background:{esc(c)}"></span>{esc(name)}</span>' for name, c in colours.items())
    return (f'<div class="rl-legend rl-conn-key" style="font-size:12px;margin-top:4px">{items}'
            f'<div style="opacity:.75;margin-top:2px">{esc(tr_("text.conn.key_note", lang))}</div></div>')


def unit_frame(values: np.ndarray, text: str, lang: str = "en"):
    """One unit along the text -> the LinePlot's table (step 1..n, value, the character; the
    character's column named in ``lang``: the plot's tooltip shows it)."""
    import pandas as pd
    return pd.DataFrame({"step": np.arange(1, len(values) + 1), "value": np.asarray(values, float),
                         tr_("text.unit_plot.character", lang): [show_char(c, lang) for c in text[:len(values)]]})


def contexts_html(contexts, state_name: str, unit: int, lim: float, lang: str = "en") -> str:
    """The unit's top-activating windows of the validation text, each character coloured by the
    unit (blue negative, red positive, same scale for all), the peak outlined, hover values."""
    rows = []
    for k, c in enumerate(contexts):
        colours = render.colorize(c.values, "diverging", lim)
        titles = [f"{state_name}[{unit}] = {v:+.3f}" for v in c.values.tolist()]
        spans = char_spans(c.text, colours, titles).replace("<br>", "")
        peak = c.peak - c.start
        spans_list = spans.split("</span>")
        if 0 <= peak < len(spans_list) - 1:
            spans_list[peak] = spans_list[peak].replace("<span ", '<span data-peak="1" ', 1).replace(
                'style="', 'style="outline:2px solid #ff8c00;', 1)
        rows.append(f'<tr><td style="opacity:.6;padding-right:8px;text-align:right">{k + 1}</td>'
                    f'<td style="{TEXT_STYLE};white-space:pre">{"</span>".join(spans_list)}</td>'
                    f'<td style="padding-left:8px;text-align:right">{float(c.values.max()):+.2f}</td>'
                    f'<td style="opacity:.6;padding-left:8px">@{c.start:,}</td></tr>')
    return (f'<table id="unit-contexts" style="border-collapse:collapse">{"".join(rows)}</table>'
            + html_legend("diverging", -1, 1, tr_("text.legend.unit", lang, name=f"{state_name}[{unit}]"),
                          f"−{lim:.2g}", f"+{lim:.2g}")
            + f'<div style="font-size:12px;opacity:.75">{esc(tr_("text.contexts.note", lang))}</div>')


def features_html(names: list[str], descriptions: list[str], r_val: np.ndarray, r_text: np.ndarray | None,
                  lang: str = "en") -> str:
    """A unit's Pearson r with each text feature: over the validation split and on this text."""
    def bar(r):
        if r is None or not np.isfinite(r):
            return "<td></td><td>–</td>"
        rgb = render.colorize(np.array([r]), "diverging", 1.0)[0]
        return (f'<td style="width:90px"><div style="background:#{int(rgb[0]):02x}{int(rgb[1]):02x}{int(rgb[2]):02x};'
                f'height:10px;width:{abs(r) * 100:.0f}%;margin-{"left" if r < 0 else "right"}:auto"></div></td>'
                f'<td style="text-align:right">{r:+.2f}</td>')
    rows = "".join(f"<tr><td>{esc(feature_text(n, d, lang))}</td>{bar(float(rv))}"
                   f"{bar(None if r_text is None else float(r_text[k]))}</tr>"
                   for k, (n, d, rv) in enumerate(zip(names, descriptions, r_val)))
    w = lambda key: esc(tr_(f"text.features.{key}", lang))  # noqa: E731
    return (f'<table id="unit-features" style="width:100%;font-size:13px"><tr><th>{w("feature")}</th>'
            f'<th colspan=2>{w("r_val")}</th><th colspan=2>{w("r_text")}</th></tr>{rows}</table>'
            + html_legend("diverging", -1, 1, tr_("text.units_table.r", lang), "−1", "+1"))


def _with_code(text: str, **codes: str) -> str:
    """``text`` escaped, with each sentinel "\x00name\x00" replaced by ``codes[name]`` (HTML)."""
    out = esc(text)
    for name, code in codes.items():
        out = out.replace(f"\x00{name}\x00", code)
    return out


def match_html(selected, state_name: str, threshold: float, span_text: str, m, passages: list[tuple[str, str, str]],
               seconds: float, lang: str = "en") -> str:
    """The units on over the span and off around it, then the matches in the validation split."""
    span = f"<code>{esc(span_text)}</code>"
    if not selected:
        return "<p>" + _with_code(tr_("text.match.none", lang, state=state_name, threshold=threshold,
                                      span="\x00s\x00"), s=span) + "</p>"
    units = tr_("app.sep.list", lang).join(_with_code(tr_("text.match.unit", lang, name="\x00u\x00", inside=s.inside,
                                    around="–" if not np.isfinite(s.around) else f"{s.around:+.2f}"),
                                u=f"<code>{state_name}[{s.unit}]</code>") for s in selected)
    n = len(selected)
    count = tr_("text.match.one_unit", lang) if n == 1 else tr_("text.match.n_units", lang, n=n)
    head = _with_code(tr_("text.match.head", lang, count="\x00n\x00", threshold=threshold, span="\x00s\x00",
                          units="\x00l\x00"), n=f"<b>{esc(count)}</b>", s=span, l=units)
    head = f"<p>{head}</p>"
    if m is None:
        return head + f"<p>{esc(tr_('text.match.no_data', lang))}</p>"
    rows = "".join(f'<tr><td style="{TEXT_STYLE};white-space:pre">{esc(a).replace("<br>", "↵")}'
                   f'<mark style="background:#ef8a62;color:#000">{esc(b).replace("<br>", "↵")}</mark>'
                   f'{esc(c).replace("<br>", "↵")}</td></tr>' for a, b, c in passages)
    count = tr_("text.match.count", lang, count=m.count, chars=m.characters, total=m.total, n=len(m.units),
                ms=seconds * 1000)
    return (head + f'<p id="match-count">{_bold_count(count, m.count)}</p><table>{rows}</table>'
            f'<p style="font-size:12px;opacity:.75">{esc(tr_("text.match.note", lang, threshold=threshold))}</p>')


def _bold_count(text: str, count: int) -> str:
    """The match count's sentence, escaped, with its number in bold."""
    out, number = esc(text), f"{count:,}"
    return out.replace(number, f"<b>{number}</b>", 1)


def side_by_side_md(cmp, lang: str = "en") -> str:
    """The measured difference of an intervention, as Markdown."""
    from demo.text.interventions import describe
    a, b = cmp.stats_plain, cmp.stats_edited
    f = lambda x, spec: "–" if not np.isfinite(x) else format(x, spec)  # noqa: E731
    lo, hi = cmp.usual
    first = (tr_("text.edit.identical", lang) if cmp.first_difference is None
             else tr_("text.edit.part", lang, n=cmp.first_difference + 1))
    edit = describe(cmp.clamp, cmp.ablate, lang) if (cmp.clamp or cmp.ablate) else cmp.edit
    w = lambda key, **kw: tr_(f"text.edit.{key}", lang, **kw)  # noqa: E731
    return (w("summary", edit=esc(edit), first=first) + "\n\n"
            f"| | {w('unedited')} | {w('edited')} |\n|---|---:|---:|\n"
            f"| {w('lines')} | {a.lines} | {b.lines} |\n"
            f"| {w('mean_line')} | {f(a.mean_line, '.1f')} | {f(b.mean_line, '.1f')} |\n"
            f"| {w('usual', lo=lo, hi=hi)} | {f(100 * a.usual, '.0f')}% | {f(100 * b.usual, '.0f')}% |\n")


def sampling_html(probs: np.ndarray, reshaped: np.ndarray, vocab, chosen: str, temperature: float, top_k,
                  k: int = TOP_K_SHOWN, lang: str = "en") -> str:
    """The next-character bars of one step before (the model, temperature 1) and after the
    sampling settings reshape them, for the k likeliest characters."""
    top = np.argsort(-probs, kind="stable")[:k]
    ent = lambda p: float(-(p[p > 0] * np.log(p[p > 0])).sum())
    rows = []
    for j in top:
        c, p, q = vocab[j], float(probs[j]), float(reshaped[j])
        bold = "font-weight:700;" if c == chosen else ""
        rows.append(f'<tr style="{bold}"><td style="font-family:var(--font-mono,monospace);white-space:nowrap;'
                    f'padding-right:6px">{esc(show_char(c, lang))}</td>'
                    f'<td style="width:45%"><div style="background:#67a9cf;height:12px;width:{100 * p:.1f}%"></div></td>'
                    f'<td style="text-align:right;padding:0 6px">{p:.3f}</td>'
                    f'<td style="width:45%"><div style="background:#ef8a62;height:12px;width:{100 * q:.1f}%"></div></td>'
                    f'<td style="text-align:right;padding-left:6px">{q:.3f}</td></tr>')
    kept = int((reshaped > 0).sum())
    sampled = tr_("text.sampling.sampled", lang, temperature=temperature,
                  top_k=tr_("text.sampling.top_k", lang, k=top_k) if top_k else "")
    note = tr_("text.sampling.note", lang, before=ent(probs), after=ent(reshaped), kept=kept, n=len(probs))
    return (f'<table id="sampling-bars" style="width:100%;border-collapse:collapse"><tr><th></th>'
            f'<th colspan=2>{esc(tr_("text.sampling.model", lang))}</th><th colspan=2>{esc(sampled)}</th></tr>'
            f'{"".join(rows)}</table>'
            + html_legend_bars(lang)
            + f'<p style="font-size:12px;opacity:.75">{esc(note)}</p>')


def html_legend_bars(lang: str = "en") -> str:
    """The sampling bars' colour key: blue the model's probabilities, orange what is sampled from."""
    sw = lambda c: (f'<span style="display:inline-block;width:18px;height:10px;background:{c};'  # noqa: E731
                    f'vertical-align:middle;margin-right:4px"></span>')
    return (f'<div class="rl-legend" style="font-size:12px;margin-top:4px">{sw("#67a9cf")}'
            f'{esc(tr_("text.sampling.key_model", lang))} &nbsp; {sw("#ef8a62")}'
            f'{esc(tr_("text.sampling.key_sampled", lang))}</div>')
