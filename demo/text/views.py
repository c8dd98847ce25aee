"""What the Text tab shows, as pure functions (numpy in; HTML strings, numbers and RGB arrays out;
no gradio): argument checks for generation, the per-step trace of a generated text, characters
coloured by one hidden unit or by surprise, top-k bars, the units × steps heatmap, and the search
for interpretable units (``discover_units``).

Everything user-typed or model-written that ends up in HTML goes through ``esc`` (html.escape,
newlines as <br>), so markup in a seed or a pasted text is shown, never run.

    python -m demo.text_views --weights-dir /tmp/wc   # preview: writes /tmp/text_views_preview.html
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from demo import render
from demo.text.model import MAX_LENGTH  # characters per generation

MAX_TEMPERATURE = 10.0          # beyond ~3 the samples are noise; 10 leaves room to see that
MAX_SCORE = 10_000              # characters for "how surprising is this text?" (a few seconds)
TOP_K_SHOWN = 10                # bars in the step view
WINDOW = 64                     # steps shown in the heatmap around the selected one
CELL_W = 10                     # px per step in the heatmap (wide enough for a character label)
SURPRISE_LIM = 6.0              # nats at which the surprise colour saturates (p ~ 0.25 %)
VOWELS = set("aeiouAEIOU")
PUNCT = set(".,;:!?-'&$")

# Features that discover_units correlates with every unit, and the one line the app shows.
FEATURES = {
    "speaker": "inside a speaker's name (a line like 'ROMEO:')",
    "column": "position in the line (characters since the newline)",
    "newline_next": "end of line: the next character is a newline",
    "word_pos": "position inside the current word",
    "space": "just read a space (between words)",
    "punct": "just read punctuation",
    "vowel": "vowel (+1) versus consonant (-1)",
    "upper": "just read an uppercase letter",
    "sentence": "characters since the last . ! or ?",
}


# ---------------------------------------------------------------------------------------------
# Checking a generation request (each message is shown to the user as it is)

def _shown(value) -> str:
    """A value as it came in, for a message: repr, at most 40 characters."""
    r = repr(value)
    return r if len(r) <= 40 else r[:37] + "..."


def _whole(name: str, value, lo: int, hi: int, hint: str = "") -> int:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number{hint}, got {_shown(value)}") from None
    if not math.isfinite(x) or x != int(x):
        raise ValueError(f"{name} must be a whole number{hint}, got {_shown(value)}")
    if not lo <= x <= hi:
        raise ValueError(f"{name} must be from {lo:,} to {hi:,}{hint}, got {int(x):,}")
    return int(x)


def check_request(seed, length, temperature, top_k, rng_seed, vocab_size: int) -> dict:
    """Form values -> keyword arguments for CharModel.stream/generate, or ValueError with a message.

    top_k: 0 or empty means off (sample from every character); above the vocabulary size is
    refused rather than clamped, so a request never silently means something else.
    rng_seed: empty means fresh randomness; the same number gives the same text.
    """
    if not isinstance(seed, str) or not seed:
        raise ValueError("Type a seed to start from: one character or more (e.g. \"ROMEO:\" or \"T\").")
    length = _whole("Length", length, 1, MAX_LENGTH, " (characters to generate)")
    try:
        temperature = float(temperature)
    except (TypeError, ValueError):
        temperature = float("nan")
    if not 0 <= temperature <= MAX_TEMPERATURE:  # also catches NaN
        raise ValueError(f"Temperature must be a number from 0 to {MAX_TEMPERATURE:g} (0 = always the most "
                         f"likely character, 1 = the model's own probabilities), got {temperature}")
    top_k = 0 if top_k is None or top_k == "" else _whole(
        "Top-k", top_k, 0, vocab_size, f" (0 = off; this model knows {vocab_size} characters)")
    rng_seed = None if rng_seed is None or rng_seed == "" else _whole("Random seed", rng_seed, 0, 2**32 - 1)
    return dict(seed=seed, length=length, temperature=temperature, top_k=top_k or None, rng_seed=rng_seed)


# ---------------------------------------------------------------------------------------------
# The trace of a generated text: kept in the app's gr.State so the step slider only re-renders

def vocab_chars(model) -> list[str]:
    """The model's characters in index order (model.vocab is a list, or a Vocab with .chars)."""
    return list(getattr(model.vocab, "chars", model.vocab))


def trace_text(model, seed: str, text: str) -> dict:
    """Read seed + text once and keep, for each generated character t, the state that chose it
    (the state after reading the character before it) and the distribution it was drawn from.
    Returns {"seed", "text", "model", "h" (n, H), "c" (n, H) or None, "probs" (n, V),
    "surprise" (n,), "vocab" [V chars]} as float32 numpy arrays."""
    if not text:
        raise ValueError("Nothing generated yet: press Generate first.")
    st = model.states(seed + text)
    rows = slice(len(seed) - 1, len(seed) - 1 + len(text))  # state after the previous character
    return {"seed": seed, "text": text, "model": model.name, "vocab": vocab_chars(model),
            "h": st.h[rows].astype(np.float32),
            "c": None if st.c is None else st.c[rows].astype(np.float32),
            "probs": st.probs[rows].astype(np.float32),
            "surprise": st.surprise[len(seed):].astype(np.float32)}  # of each generated character


def unit_values(trace: dict, state: str, unit: int) -> np.ndarray:
    """(n,) activation of one unit of h or c; ValueError names what is available."""
    acts = trace.get(state)
    if acts is None:
        raise ValueError(f"this model has no {state!r} state (only the LSTM keeps a cell state c)")
    unit = int(unit)
    if not 0 <= unit < acts.shape[1]:
        raise ValueError(f"unit must be from 0 to {acts.shape[1] - 1}, got {unit}")
    return acts[:, unit]


def colour_limit(values: np.ndarray, state: str) -> float:
    """h lies in (-1, 1); c is unbounded, so its colours span its own range (99th percentile)."""
    if state == "h":
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


def _ink(rgb) -> str:
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
                   f'color:{_ink(rgb)}" title="{esc(title)}">{shown}</span>')
        if ch == "\n":
            out.append("<br>")
    return "".join(out)


TEXT_STYLE = ("font-family:var(--font-mono,monospace);font-size:14px;line-height:1.7;"
              "white-space:pre-wrap;word-break:break-all")


def unit_html(trace: dict, state: str, unit: int) -> str:
    """The generated text, each character coloured by unit `unit` of `state` (h or c) in the state
    that chose it: blue negative, white zero, red positive.  Spans carry data-t (1-based step)."""
    v = unit_values(trace, state, unit)
    lim = colour_limit(v, state)
    titles = [f"step {t + 1}: {state}[{unit}] = {x:+.3f}" for t, x in enumerate(v.tolist())]
    seed = esc(trace["seed"])
    return (f'<div style="{TEXT_STYLE}"><span style="opacity:.55" title="the seed">{seed}</span>'
            f'{char_spans(trace["text"], render.colorize(v, "diverging", lim), titles, True)}</div>'
            f'<div style="font-size:12px;opacity:.7">{state}[{unit}]: blue −{lim:.2g} · white 0 · '
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


def topk_rows(probs: np.ndarray, vocab: list[str], k: int = TOP_K_SHOWN) -> list[tuple[str, float]]:
    """(V,) distribution -> the k likeliest (char, p), highest first."""
    k = min(k, len(vocab))
    top = np.argsort(-probs, kind="stable")[:k]
    return [(vocab[j], float(probs[j])) for j in top]


def step_html(trace: dict, t: int, k: int = TOP_K_SHOWN) -> str:
    """Step t (1-based): the context, the character chosen, and the top-k next-character bars."""
    text, n = trace["text"], len(trace["text"])
    t = min(max(int(t), 1), n)
    ch, p = text[t - 1], math.exp(-float(trace["surprise"][t - 1]))
    context = (trace["seed"] + text)[:len(trace["seed"]) + t - 1][-20:]  # what it had read
    rows = []
    for c, q in topk_rows(trace["probs"][t - 1], trace["vocab"], k):
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


def units_table_html(units: list["Unit"], source: str) -> str:
    """The units worth looking at, as an escaped HTML table."""
    if not units:
        return "<p>No unit tracks any of the simple text features strongly.</p>"
    rows = "".join(f"<tr><td><code>{u.state}[{u.unit}]</code></td><td>{esc(u.description)}</td>"
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


def heatmap_image(trace: dict, state: str, t: int, unit: int | None = None, window: int = WINDOW) -> np.ndarray:
    """RGB image of `state` (h or c) as units (rows) × steps (columns) for up to `window` steps
    around step t (1-based, framed in orange), the generated characters underneath and the
    selected unit marked by an orange tick on the left."""
    acts = trace[state] if trace.get(state) is not None else trace["h"]
    n, H = acts.shape
    t = min(max(int(t), 1), n)
    a = min(max(t - 1 - window // 2, 0), max(n - window, 0))
    b = min(n, a + window)
    row_h = max(1, min(4, 384 // H))
    lim = colour_limit(acts[a:b], state)
    img = render.heatmap(acts[a:b].T, "diverging", lim, (row_h, CELL_W), t=t - a, dim_future=False)
    gutter = np.empty((img.shape[0], 6, 3), np.uint8)
    gutter[:] = render.GUTTER
    if unit is not None and 0 <= unit < H:
        y = render.STRIP + unit * row_h
        gutter[max(0, y - 2):y + row_h + 2] = render.ACCENT
    img = np.concatenate([gutter, img], axis=1)
    strip = _char_strip(trace["text"][a:b], CELL_W)
    strip = np.concatenate([np.full((strip.shape[0], 6, 3), render.GUTTER, np.uint8), strip], axis=1)
    return np.concatenate([img, strip], axis=0)


# ---------------------------------------------------------------------------------------------
# Units worth looking at

@dataclass
class Unit:
    feature: str        # key of FEATURES
    description: str    # one line for the app
    state: str          # "h" or "c" (top layer)
    unit: int           # index in that state vector
    r: float            # Pearson correlation with the feature over the text

    @property
    def label(self) -> str:
        return f"{self.state}[{self.unit}] · {self.description} (r = {self.r:+.2f})"


def text_features(text: str) -> dict[str, np.ndarray]:
    """One (T,) float array per feature: row t describes the text up to and including text[t]
    (newline_next alone looks one character ahead, which the model has to predict)."""
    T = len(text)
    f = {k: np.zeros(T) for k in FEATURES}
    col = word = since = 0
    pos, prev = 0, ""
    for line in text.split("\n"):  # speaker lines: after a blank line, short, 'Name Words:'
        name = line[:-1].replace(" ", "").replace("'", "")
        if not prev and line.endswith(":") and len(line) <= 40 and name.isalpha():
            f["speaker"][pos:pos + len(line)] = 1.0
        pos, prev = pos + len(line) + 1, line
    for t, ch in enumerate(text):
        col = 0 if ch == "\n" else col + 1
        word = word + 1 if ch.isalpha() else 0
        since = 0 if ch in ".!?" else since + 1
        f["column"][t] = min(col, 80)
        f["word_pos"][t] = min(word, 12)
        f["sentence"][t] = min(since, 200)
        f["newline_next"][t] = t + 1 < T and text[t + 1] == "\n"
        f["space"][t] = ch == " "
        f["punct"][t] = ch in PUNCT
        f["vowel"][t] = 1.0 if ch in VOWELS else (-1.0 if ch.isalpha() else 0.0)
        f["upper"][t] = ch.isupper()
    return f


def correlate(features: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """Pearson r of every feature column (T, K) with every unit column (T, H) -> (K, H); a
    constant column correlates 0 with everything."""
    def z(x):
        x = np.asarray(x, np.float64)
        x = x - x.mean(0)
        sd = np.sqrt((x * x).mean(0))
        return np.divide(x, sd, out=np.zeros_like(x), where=sd > 1e-12)
    return z(features).T @ z(acts) / len(features)


def discover_units(model, text: str, top: int = len(FEATURES), min_r: float = 0.2,
                   burn_in: int = 50, states=None) -> list[Unit]:
    """Read `text`, correlate each feature with every unit of the top layer's h and c, and keep for
    each feature its best unit (not already taken), strongest |r| first, at most `top` of them.
    The first `burn_in` characters are skipped (the state starts at zero there)."""
    st = states if states is not None else model.states(text)
    feats = text_features(text)
    F = np.stack([feats[k] for k in FEATURES], 1)[burn_in:]  # (T', K)
    r = {"h": correlate(F, st.h[burn_in:])}                   # (K, H) each
    if st.c is not None:
        r["c"] = correlate(F, st.c[burn_in:])
    found, taken = [], set()
    for k, name in enumerate(FEATURES):
        cands = sorted(((abs(r[s][k, u]), s, u) for s in r for u in np.argsort(-np.abs(r[s][k]))[:5]),
                       reverse=True)
        for score, s, u in cands:
            if (s, int(u)) not in taken and score >= min_r:
                taken.add((s, int(u)))
                found.append(Unit(name, FEATURES[name], s, int(u), round(float(r[s][k, u]), 4)))
                break
    return sorted(found, key=lambda u: -abs(u.r))[:top]


def save_units(path: Path, units: list[Unit], meta: dict) -> None:
    Path(path).write_text(json.dumps({**meta, "units": [asdict(u) for u in units]}, indent=1) + "\n")


def load_units(path: Path, weights_sha256: str | None = None) -> tuple[list[Unit], str] | None:
    """(units, where they were found) from a units file, or None when it is missing or was made
    for other weights (a retrained model invalidates it)."""
    try:
        d = json.loads(Path(path).read_text())
        if weights_sha256 and d.get("weights_sha256") not in (None, weights_sha256):
            return None
        return [Unit(**u) for u in d["units"]], d.get("source", Path(path).name)
    except (OSError, ValueError, KeyError, TypeError):
        return None


if __name__ == "__main__":
    import argparse

    from demo.text.model import load_char_model
    p = argparse.ArgumentParser(description="Preview the Text tab's views as one HTML file.")
    p.add_argument("--weights-dir", help="folder with char_lstm.* (default: weights/)")
    p.add_argument("--out", default="/tmp/text_views_preview.html", help="HTML file to write")
    args = p.parse_args()
    m = load_char_model("lstm", args.weights_dir)
    gen = m.generate("ROMEO:\n", 300, 0.8, rng_seed=0)
    tr = trace_text(m, "ROMEO:\n", gen)
    units = discover_units(m, m.generate("\n", 3000, 0.8, rng_seed=1))
    u = units[0] if units else Unit("column", "", "h", 0, 0.0)
    Path(args.out).write_text(units_table_html(units, "generated text") + unit_html(tr, u.state, u.unit)
                              + step_html(tr, 10) + surprise_html(gen, tr["surprise"]))
    Image.fromarray(heatmap_image(tr, u.state, 10, u.unit)).save("/tmp/text_views_heatmap.png")
    print(f"wrote {args.out} and /tmp/text_views_heatmap.png")
