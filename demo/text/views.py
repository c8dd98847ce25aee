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
    return f'<div style="{TEXT_STYLE}">{char_spans(text, colours, titles)}</div>'


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
    a = min(max(t - 1 - window // 2, 0), max(n - window, 0))
    b = min(n, a + window)
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
