"""What the Text tab shows, rendering only: HTML strings (characters coloured by one hidden unit or
by surprise, the top-k bars of one step, the units table) and RGB arrays (the units × steps
heatmap), from the frozen results of ``demo.text.analysis`` and ``demo.text.units``.  Nothing here
runs a model or imports gradio.

Everything user-typed or model-written that ends up in HTML goes through ``esc`` (html.escape,
newlines as <br>), so markup in a seed or a pasted text is shown, never run.

    from demo.text import views
    views.unit_html(trace, "c", 25)        # the generated text coloured by c[25]
    python scripts/preview_text_views.py   # preview: writes /tmp/text_views_preview.html
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from demo import render

if TYPE_CHECKING:  # for the annotations only: rendering needs no model code
    from demo.text.analysis import TextTrace
    from demo.text.units import Unit

TOP_K_SHOWN = 10                # bars in the step view
WINDOW = 64                     # steps shown in the heatmap around the selected one
CELL_W = 10                     # px per step in the heatmap (wide enough for a character label)
SURPRISE_LIM = 6.0              # nats at which the surprise colour saturates (p ~ 0.25 %)


def colour_limit(values: np.ndarray, state_name: str) -> float:
    """h lies in (-1, 1); c is unbounded, so its colours span its own range (99th percentile)."""
    if state_name == "h":
        return 1.0
    return max(float(np.percentile(np.abs(values), 99)) if values.size else 1.0, 1e-3)


# ---------------------------------------------------------------------------------------------
# HTML

def esc(ch: str) -> str:
    """One character or a string, made safe for HTML: <, >, &, quotes escaped; newlines as <br>."""
    return html.escape(ch, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def show_char(ch: str) -> str:
    """A readable name for a character in tables (not HTML-escaped)."""
    return {"\n": "↵ newline", " ": "␣ space", "\t": "⇥ tab"}.get(ch, ch)


def text_colour_on(rgb) -> str:
    """Black or white text, whichever reads better on this background."""
    r, g, b = (int(v) for v in rgb)
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def char_spans(text: str, colours: np.ndarray, titles: list[str], step_ids: bool = False) -> str:
    """text (n chars) with one background colour (n, 3) and tooltip each -> escaped HTML spans.
    A newline shows as a small ↵ (so its colour is visible) and then breaks the line."""
    out = []
    for t, (ch, rgb, title) in enumerate(zip(text, colours, titles)):
        shown = "↵" if ch == "\n" else esc(ch)
        data = f' data-t="{t + 1}"' if step_ids else ""
        out.append(f'<span{data} style="background:#{int(rgb[0]):02x}{int(rgb[1]):02x}{int(rgb[2]):02x};'
                   f'color:{text_colour_on(rgb)}" title="{esc(title)}">{shown}</span>')
        if ch == "\n":
            out.append("<br>")
    return "".join(out)


TEXT_STYLE = ("font-family:var(--font-mono,monospace);font-size:14px;line-height:1.7;"
              "white-space:pre-wrap;word-break:break-all")


def unit_html(trace: TextTrace, state_name: str, unit: int) -> str:
    """The generated text, each character coloured by unit `unit` of `state_name` (h or c) in the
    state that chose it: blue negative, white zero, red positive.  Spans carry data-t (1-based step)."""
    v = trace.unit_values(state_name, unit)  # (n,)
    lim = colour_limit(v, state_name)
    titles = [f"step {t + 1}: {state_name}[{unit}] = {x:+.3f}" for t, x in enumerate(v.tolist())]
    seed = esc(trace.seed)
    return (f'<div style="{TEXT_STYLE}"><span style="opacity:.55" title="the seed">{seed}</span>'
            f'{char_spans(trace.text, render.colorize(v, "diverging", lim), titles, True)}</div>'
            f'<div style="font-size:12px;opacity:.7">{state_name}[{unit}]: blue −{lim:.2g} · white 0 · '
            f'red +{lim:.2g}. Faded: the seed. Click a character to see that step.</div>')


def surprise_html(text: str, surprise: np.ndarray) -> str:
    """Each character coloured by -ln p under the model (white: expected, red: surprising), with
    a tooltip giving nats, bits and p.  The first character has no prediction (grey)."""
    titles, vals = [], np.nan_to_num(surprise, nan=0.0)
    for t, (ch, s) in enumerate(zip(text, surprise.tolist())):
        name = show_char(ch)
        titles.append(f"{name!r}: first character, context only" if t == 0 or not math.isfinite(s) else
                      f"{name!r}: −ln p = {s:.2f} nats = {s / math.log(2):.2f} bits (p = {math.exp(-s):.3g})")
    colours = render.colorize(np.clip(vals, 0, SURPRISE_LIM) / SURPRISE_LIM, "diverging", 1.0)
    colours[0] = render.GUTTER
    return (f'<div style="{TEXT_STYLE}">{char_spans(text, colours, titles, True)}</div>'
            + html_legend("diverging", 0, 1, "surprise −ln p (nats)", "0", f"≥ {SURPRISE_LIM:g}")
            + '<div style="font-size:12px;opacity:.7">Click a character to see how far back its prediction looks.</div>')


def surprise_summary(text: str, surprise: np.ndarray) -> str:
    """Totals as escaped HTML: nats and bits per character and the most surprising characters."""
    s = surprise[1:]
    nats = float(np.mean(s))
    worst = np.argsort(-s, kind="stable")[:5] + 1
    listed = ", ".join(f"<code>{esc(repr(show_char(text[i])))}</code> at {i + 1} ({surprise[i]:.1f})"
                       for i in worst)
    return (f"<p><b>{nats:.3f} nats/char = {nats / math.log(2):.3f} bits/char</b> over {len(s):,} "
            f"predicted characters (the first is context only; total {float(np.sum(s)):.1f} nats).<br>"
            f"Most surprising: {listed}. White: expected; red: ≥ {SURPRISE_LIM:g} nats.</p>")


def topk_rows(probs: np.ndarray, vocab, k: int = TOP_K_SHOWN) -> list[tuple[str, float]]:
    """(V,) distribution -> the k likeliest (char, p), highest first."""
    k = min(k, len(vocab))
    top = np.argsort(-probs, kind="stable")[:k]
    return [(vocab[j], float(probs[j])) for j in top]


def step_html(trace: TextTrace, t: int, k: int = TOP_K_SHOWN) -> str:
    """Step t (1-based): the context, the character chosen, and the top-k next-character bars."""
    text, n = trace.text, len(trace.text)
    t = min(max(int(t), 1), n)
    ch, p = text[t - 1], math.exp(-float(trace.surprise[t - 1]))
    context = (trace.seed + text)[:len(trace.seed) + t - 1][-20:]  # what it had read
    rows = []
    for c, q in topk_rows(trace.probs[t - 1], trace.vocab, k):
        bold = "font-weight:700;" if c == ch else ""
        rows.append(f'<tr style="{bold}"><td style="font-family:var(--font-mono,monospace);'
                    f'padding-right:8px;white-space:nowrap">{esc(show_char(c))}</td><td style="width:100%">'
                    f'<div style="background:#ef8a62;height:14px;width:{100 * q:.1f}%"></div></td>'
                    f'<td style="padding-left:8px;text-align:right">{q:.3f}</td></tr>')
    return (f'<p>Step <b>{t}</b> of {n}: after <code>…{esc(context).replace("<br>", "↵")}</code> '
            f'the model wrote <code>{esc(show_char(ch))}</code> (p = {p:.3f}, surprise {-math.log(p):.2f} nats).</p>'
            f'<table style="width:100%;border-collapse:collapse">{"".join(rows)}</table>'
            f'<p style="font-size:12px;opacity:.7">Next-character probabilities at this step '
            f'(temperature 1; bold: the one written).</p>')


def units_table_html(units: list[Unit], source: str) -> str:
    """The units worth looking at, as an escaped HTML table."""
    if not units:
        return "<p>No unit tracks any of the simple text features strongly.</p>"
    rows = "".join(f"<tr><td><code>{u.state_name}[{u.unit}]</code></td><td>{esc(u.description)}</td>"
                   f"<td style='text-align:right'>{u.r:+.2f}</td></tr>" for u in units)
    return (f"<table style='width:100%'><tr><th>unit</th><th>tracks</th><th>Pearson r</th></tr>{rows}"
            f"</table><p style='font-size:12px;opacity:.7'>Found on {esc(source)}.</p>")


# ---------------------------------------------------------------------------------------------
# Heatmap: units × steps around the selected step

def _char_strip(chars: str, cell_w: int, height: int = 14) -> np.ndarray:
    """One character under each step column (space as ·, newline as »: the font is Latin-1 only)."""
    strip = Image.new("RGB", (len(chars) * cell_w, height), tuple(int(c) for c in render.GUTTER))
    draw = ImageDraw.Draw(strip)
    font = ImageFont.load_default(size=11)
    for i, ch in enumerate(chars):
        shown = {" ": "·", "\n": "»"}.get(ch, ch)
        draw.text((i * cell_w + cell_w / 2, height / 2), shown, fill=(255, 255, 255), font=font, anchor="mm")
    return np.asarray(strip)


def _window(n: int, t: int, window: int = WINDOW) -> tuple[int, int]:
    t = min(max(int(t), 1), n)
    a = min(max(t - 1 - window // 2, 0), max(n - window, 0))
    return a, min(n, a + window)


def heatmap_value(trace: TextTrace, state_name: str, t: int, unit: int | None = None,
                  window: int = WINDOW) -> dict:
    """The heatmap of ``heatmap_image`` with its colour legend, as a hoverable value for
    ``demo.ui_heatmap.hover_heatmap`` ("unit 37 · step 12 · c = +0.523"; a click picks the unit)."""
    state_name = state_name if trace.has(state_name) else "h"
    acts = trace.acts(state_name)
    n, H = acts.shape
    a, b = _window(n, t, window)
    row_h = max(1, min(4, 384 // H))
    lim = colour_limit(acts[a:b], state_name)
    img = render.with_legend(heatmap_image(trace, state_name, t, unit, window), "diverging", lim, state_name)
    return render.hover_value(img, acts[a:b].T, render.STRIP, (row_h, CELL_W), what=state_name, left=6,
                              first_col=a + 1)


def heatmap_image(trace: TextTrace, state_name: str, t: int, unit: int | None = None,
                  window: int = WINDOW) -> np.ndarray:
    """RGB image (rows, 6 + columns * CELL_W, 3) of `state_name` (h or c; h when the model has no
    c) as units (rows) × steps (columns) for up to `window` steps around step t (1-based, framed
    in orange), the generated characters underneath and the selected unit marked by an orange
    tick on the left."""
    state_name = state_name if trace.has(state_name) else "h"
    acts = trace.acts(state_name)  # (n, H)
    n, H = acts.shape
    t = min(max(int(t), 1), n)
    a, b = _window(n, t, window)
    row_h = max(1, min(4, 384 // H))
    lim = colour_limit(acts[a:b], state_name)
    img = render.heatmap(acts[a:b].T, "diverging", lim, (row_h, CELL_W), t=t - a, dim_future=False)
    gutter = np.empty((img.shape[0], 6, 3), np.uint8)
    gutter[:] = render.GUTTER
    if unit is not None and 0 <= unit < H:
        y = render.STRIP + unit * row_h
        gutter[max(0, y - 2):y + row_h + 2] = render.ACCENT
    img = np.concatenate([gutter, img], axis=1)
    strip = _char_strip(trace.text[a:b], CELL_W)
    strip = np.concatenate([np.full((strip.shape[0], 6, 3), render.GUTTER, np.uint8), strip], axis=1)
    return np.concatenate([img, strip], axis=0)


# ---------------------------------------------------------------------------------------------
# Asking why: connectivity, one unit, select and match, interventions, sampling

DECADES = 4                     # connectivity colours span 10^-DECADES .. 1 of the largest value
CONN_SHOWN = 600                # characters before the explained one shown tinted


def html_legend(kind: str, lo: float, hi: float, what: str, lo_label: str | None = None,
                hi_label: str | None = None) -> str:
    """A colour bar with its scale, as HTML: the ramp of ``render.colorize`` from lo to hi (for
    kind "diverging", lo..hi within -1..1 of the map) with labels at both ends."""
    stops = ", ".join("#%02x%02x%02x" % tuple(int(c) for c in render.colorize(v, "diverging", 1.0))
                      for v in np.linspace(lo, hi, 9)) if kind == "diverging" else \
        ", ".join("#%02x%02x%02x" % tuple(int(c) for c in render.colorize(v, "sequential", 1.0))
                  for v in np.linspace(0, 1, 9))
    return (f'<div class="rl-legend" style="font-size:12px;display:flex;align-items:center;gap:6px;margin-top:4px">'
            f'<span>{esc(lo_label if lo_label is not None else f"{lo:+.2g}")}</span>'
            f'<span style="display:inline-block;width:160px;height:10px;background:linear-gradient(to right, {stops});'
            f'border:1px solid #888"></span><span>{esc(hi_label if hi_label is not None else f"{hi:+.2g}")}</span>'
            f'<span style="opacity:.75">{esc(what)}</span></div>')


def unit_legend(lim: float, name: str) -> str:
    return html_legend("diverging", -1, 1, f"{name}: blue negative, white 0, red positive",
                       f"−{lim:.2g}", f"+{lim:.2g}")


def connectivity_html(text: str, position: int, conn: np.ndarray, model: str, shown: int = CONN_SHOWN) -> str:
    """text[:position] tinted by connectivity (white: none, red: the largest), on a log scale
    over DECADES decades; text[position], the character predicted, outlined.  Hover: distance
    and value."""
    conn = np.asarray(conn, np.float64)
    peak = float(conn.max()) if conn.size else 0.0
    a = max(0, position - shown)
    rel = np.log10(np.maximum(conn[a:], 1e-300) / max(peak, 1e-300))  # 0 .. -inf
    u = np.clip((rel + DECADES) / DECADES, 0, 1)
    colours = render.colorize(u, "diverging", 1.0)
    titles = [f"{show_char(ch)!r} · distance {position - j} · |∂ log p/∂x| = {c:.3g} (10^{r:.1f} of the largest)"
                        for j, ch, c, r in zip(range(a, position), text[a:position], conn[a:].tolist(), rel.tolist())]
    target = text[position]
    p_note = (f'<span data-pos="{position}" style="outline:2px solid #ff8c00;background:#fff3e0;color:#000" '
              f'title="the character predicted">{"↵" if target == chr(10) else esc(target)}</span>')
    lead = f'<span style="opacity:.55">… {a:,} characters before</span> ' if a else ""
    d1 = int(np.argmax(conn[::-1]) + 1) if conn.size else 0
    return (f'<div id="conn-text" style="{TEXT_STYLE}">{lead}{char_spans(text[a:position], colours, titles)}{p_note}</div>'
            + html_legend("diverging", 0, 1, "|∂ log p(next) / ∂ x_j|, log scale, relative to the largest",
                          f"10^−{DECADES}", "largest")
            + f'<div style="font-size:12px;opacity:.75">{esc(model)}: how much the prediction of the outlined '
              f'character (log p = its log-probability) changes with each earlier character\'s input vector. '
              f'Largest at distance {d1}: {peak:.3g}. Hover a character for its value.</div>')


def connectivity_frame(curves: dict[str, np.ndarray], max_distance: int = 200):
    """{series: connectivity by distance (D,), index 0 = distance 1} -> the LinePlot's table:
    log10 of each value relative to the series' largest (0 = most connected; -4 = 10,000x less)."""
    import pandas as pd
    rows = []
    for name, v in curves.items():
        v = np.asarray(v, np.float64)[:max_distance]
        if not v.size:
            continue
        rel = np.log10(np.maximum(v, 1e-300) / max(float(v.max()), 1e-300))
        rows += [(d + 1, name, float(max(r, -12.0))) for d, r in enumerate(rel)]
    return pd.DataFrame(rows, columns=["distance", "series", "log10 relative connectivity"])


def connectivity_words(summaries: dict[str, dict]) -> str:
    """Over-data curves in words: {model title: the lookups' meta["connectivity"]}."""
    if not summaries:
        return "No precomputed curves (run `python training/find_units.py`)."
    parts = []
    for name, c in summaries.items():
        parts.append(f"**{esc(name)}**: half of its gradient lies within the last **{c['half']}** characters and "
                     f"90% within **{c['ninety']}**; the mean falls below 1/100 of its peak at distance "
                     f"{c['below_1e-2']} and below 1/10,000 at {c['below_1e-4']}")
    c0 = next(iter(summaries.values()))
    return ("Over data (the light lines in the plot): mean of |∂ log p(text[p]) / ∂ x_j| against distance p − j, over "
            f"{c0['positions']} predictions sampled from the validation split (each measured up to "
            f"{c0['max_distance']} characters back). " + "; ".join(parts) + ".")


def unit_frame(values: np.ndarray, text: str):
    """One unit along the text -> the LinePlot's table (step 1..n, value, the character)."""
    import pandas as pd
    return pd.DataFrame({"step": np.arange(1, len(values) + 1), "value": np.asarray(values, float),
                         "character": [show_char(c) for c in text[:len(values)]]})


def contexts_html(contexts, state_name: str, unit: int, lim: float) -> str:
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
            + unit_legend(lim, f"{state_name}[{unit}]")
            + '<div style="font-size:12px;opacity:.75">The 10 windows of the validation split (last 10% of '
              'Tiny Shakespeare, 40 characters each) where this unit is highest; outlined: the peak; ↵ a '
              'newline. @: offset in the split.</div>')


def features_html(names: list[str], descriptions: list[str], r_val: np.ndarray, r_text: np.ndarray | None) -> str:
    """A unit's Pearson r with each text feature: over the validation split and on this text."""
    def bar(r):
        if r is None or not np.isfinite(r):
            return "<td></td><td>–</td>"
        rgb = render.colorize(np.array([r]), "diverging", 1.0)[0]
        return (f'<td style="width:90px"><div style="background:#{int(rgb[0]):02x}{int(rgb[1]):02x}{int(rgb[2]):02x};'
                f'height:10px;width:{abs(r) * 100:.0f}%;margin-{"left" if r < 0 else "right"}:auto"></div></td>'
                f'<td style="text-align:right">{r:+.2f}</td>')
    rows = "".join(f"<tr><td>{esc(d)}</td>{bar(float(rv))}{bar(None if r_text is None else float(r_text[k]))}</tr>"
                   for k, (n, d, rv) in enumerate(zip(names, descriptions, r_val)))
    return (f'<table id="unit-features" style="width:100%;font-size:13px"><tr><th>feature</th>'
            f'<th colspan=2>r over validation</th><th colspan=2>r on this text</th></tr>{rows}</table>'
            + html_legend("diverging", -1, 1, "Pearson r", "−1", "+1"))


def match_html(selected, state_name: str, threshold: float, span_text: str, m, passages: list[tuple[str, str, str]],
               seconds: float) -> str:
    """The units on over the span and off around it, then the matches in the validation split."""
    if not selected:
        return (f"<p>No unit of {state_name} is ≥ {threshold:g} at every character of "
                f"<code>{esc(span_text)}</code> and below it just around. Lower the threshold or pick another span.</p>")
    units = ", ".join(f"<code>{state_name}[{s.unit}]</code> ({s.inside:+.2f} inside, "
                      f"{'–' if not np.isfinite(s.around) else f'{s.around:+.2f}'} around)" for s in selected)
    head = (f"<p><b>{len(selected)} unit{'s' if len(selected) > 1 else ''}</b> on (≥ {threshold:g}) over "
            f"<code>{esc(span_text)}</code> and off around it: {units}.</p>")
    if m is None:
        return head + "<p>The validation text is not available here, so there is nothing to match against.</p>"
    rows = "".join(f'<tr><td style="{TEXT_STYLE};white-space:pre">{esc(a).replace("<br>", "↵")}'
                   f'<mark style="background:#ef8a62;color:#000">{esc(b).replace("<br>", "↵")}</mark>'
                   f'{esc(c).replace("<br>", "↵")}</td></tr>' for a, b, c in passages)
    return (head + f'<p id="match-count"><b>{m.count:,} passages</b> of the validation split ({m.characters:,} of '
            f'its {m.total:,} characters) have all {len(m.units)} units on at once (searched in {seconds * 1000:.0f} ms). '
            f'Closest in length to your span:</p><table>{rows}</table>'
            f'<p style="font-size:12px;opacity:.75">Highlighted: the characters chosen while every selected unit '
            f'was ≥ {threshold:g} (the state that chose each character, as in the coloured text).</p>')


def side_by_side_md(cmp) -> str:
    """The measured difference of an intervention, as Markdown."""
    a, b = cmp.stats_plain, cmp.stats_edited
    f = lambda x, spec: "–" if not np.isfinite(x) else format(x, spec)
    lo, hi = cmp.usual
    first = ("the texts are identical" if cmp.first_difference is None
             else f"they part at character {cmp.first_difference + 1}")
    return (f"**Edit: {esc(cmp.edit)}**, at every step; same seed, settings and random seed; {first}.\n\n"
            f"| | unedited | edited |\n|---|---:|---:|\n"
            f"| complete lines | {a.lines} | {b.lines} |\n"
            f"| mean line length (characters) | {f(a.mean_line, '.1f')} | {f(b.mean_line, '.1f')} |\n"
            f"| lines ending at the usual place ({lo:g}–{hi:g} characters, the middle half of the validation "
            f"split's lines) | {f(100 * a.usual, '.0f')}% | {f(100 * b.usual, '.0f')}% |\n")


def sampling_html(probs: np.ndarray, reshaped: np.ndarray, vocab, chosen: str, temperature: float, top_k,
                  k: int = TOP_K_SHOWN) -> str:
    """The next-character bars of one step before (the model, temperature 1) and after the
    sampling settings reshape them, for the k likeliest characters."""
    top = np.argsort(-probs, kind="stable")[:k]
    ent = lambda p: float(-(p[p > 0] * np.log(p[p > 0])).sum())
    rows = []
    for j in top:
        c, p, q = vocab[j], float(probs[j]), float(reshaped[j])
        bold = "font-weight:700;" if c == chosen else ""
        rows.append(f'<tr style="{bold}"><td style="font-family:var(--font-mono,monospace);white-space:nowrap;'
                    f'padding-right:6px">{esc(show_char(c))}</td>'
                    f'<td style="width:45%"><div style="background:#67a9cf;height:12px;width:{100 * p:.1f}%"></div></td>'
                    f'<td style="text-align:right;padding:0 6px">{p:.3f}</td>'
                    f'<td style="width:45%"><div style="background:#ef8a62;height:12px;width:{100 * q:.1f}%"></div></td>'
                    f'<td style="text-align:right;padding-left:6px">{q:.3f}</td></tr>')
    kept = int((reshaped > 0).sum())
    return (f'<table id="sampling-bars" style="width:100%;border-collapse:collapse"><tr><th></th>'
            f'<th colspan=2>the model (temperature 1)</th><th colspan=2>sampled from (T = {temperature:g}'
            f'{f", top-k {top_k}" if top_k else ""})</th></tr>{"".join(rows)}</table>'
            f'<p style="font-size:12px;opacity:.75">Entropy {ent(probs):.2f} → {ent(reshaped):.2f} nats; '
            f'{kept} of {len(probs)} characters can be drawn. Bold: the one written. Lower temperature sharpens '
            f'the bars, higher flattens them; top-k zeroes all but the k likeliest.</p>')
