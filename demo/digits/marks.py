"""Finding the marks (the ink) in a picture, and whether they look like one digit.

``ink_of(a)`` turns a picture read by ``demo.digits.pictures`` into an ink map (H, W) in [0, 1]:
strokes on a transparent layer are its alpha; any opaque picture is read as a photo of paper
(``picture_ink``): downscaled to PHOTO_WORK px, the paper removed by a large-scale
closing/opening (uneven light, shadows, any background level), polarity from where the marks lie
relative to the background, colour counted (darkest/brightest channel), ruled lines removed, and
the digit's connected components kept (``layout``: specks, edges and lines dropped; several
digits, text or a scene raise ``NotOneDigit``).  Pictures with no sensor noise (canvases, MNIST)
keep every mark, as drawings do.  The ink comes back cropped around the digit.

    from demo.digits.marks import NotOneDigit, ink_of, layout
    from demo.digits.pictures import read_picture
    ink = ink_of(read_picture("photo.jpg"))      # may raise NotOneDigit (a UserError)
    layout(ink > 0.5).problem                     # None for one digit, else a Text saying why not
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from demo.digits.pictures import PHOTO_WORK, flatten, is_opaque, resize
from demo.errors import Text, UserError

CLEAN = 0.0015              # a picture whose paper varies less than this has no sensor noise: made on a computer
BUSY_LEVEL = 0.055           # paper: the background's level and spread stay under this (measured <= 0.04)
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


class NotOneDigit(UserError):
    """The picture does not show one digit (several marks, a line of text, a photo of a scene):
    the message says what was found, for the user."""

    @classmethod
    def of(cls, problem: Text) -> "NotOneDigit":
        return cls(problem.key, **problem.fields)


@dataclass(frozen=True)
class Layout:
    """What the components of a picture's marks say (``layout``).  ``problem`` is None for one
    digit, else a message for the user."""
    box: tuple[int, int, int, int] | None   # (r0, r1, c0, c1) of the digit's components
    labels: tuple[int, ...]                  # the components that make the digit
    marks: int                               # separate marks found (digit groups and others)
    problem: Text | None                     # digits.error.many_marks, side_by_side(_some), not_on_paper


def ink_of(a: np.ndarray) -> np.ndarray:
    """A picture (``pictures.read_picture``'s arrays) -> ink (H, W): 1 on strokes, 0 on paper.
    Strokes on a transparent layer are its alpha; anything opaque is read as a photo of paper
    (``picture_ink``), which may raise ``NotOneDigit``."""
    return picture_ink(flatten(a))[0] if is_opaque(a) else a[:, :, -1]


def ink_box(ink: np.ndarray, thresh: float = 0.2):
    """(r0, r1, c0, c1) around the ink over ``thresh``, or None when there is none."""
    rows, cols = np.nonzero((ink > thresh).any(1))[0], np.nonzero((ink > thresh).any(0))[0]
    if rows.size == 0:
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _odd(n: float) -> int:
    n = max(1, int(round(n)))
    return n if n % 2 else n + 1


def _marks_are_dark(grey: np.ndarray) -> bool | None:
    """Polarity from where the marks lie relative to the background, whatever its level: the
    background is the border's level when the border is even, else a median at a large scale
    (the marks are few), and the marks are the side of it with the heavier tail beyond the noise.
    None for a flat picture (no marks at all); ``NotOneDigit`` for one with detail everywhere and
    no marks (a texture)."""
    h, w = grey.shape
    f = min(1.0, 160 / max(h, w))
    small = resize(grey, f) if f < 1 else grey
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    lo_b, mid_b, hi_b = np.percentile(border, [5, 50, 95])
    if hi_b - lo_b <= 0.02:  # an even border (a canvas, a scan): it is the background
        dev = small - mid_b
        neg, pos = float(np.maximum(-dev - 0.03, 0).sum()), float(np.maximum(dev - 0.03, 0).sum())
        if neg != pos:
            return neg > pos
    short = min(small.shape)
    k = _odd(max(3, short / 3))
    bg = cv2.medianBlur(np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8), min(k, 255)) / np.float32(255)
    dev = small - bg
    sub = dev[::2, ::2] if dev.size > 20_000 else dev
    sigma = 1.4826 * float(np.median(np.abs(sub - np.median(sub))))
    t = max(4 * sigma, 0.03)
    neg = float(np.maximum(-dev - t, 0).sum())
    pos = float(np.maximum(dev - t, 0).sum())
    if neg == pos == 0:
        if sigma > BUSY_LEVEL:  # no tail beyond a wide spread: texture everywhere, not paper
            raise NotOneDigit("digits.error.busy")
        return None
    return neg >= pos


def _mark_signal(c: np.ndarray, dark: bool) -> np.ndarray:
    """How much each pixel stands out from the paper (>= 0).  Colour counts: for dark marks the
    picture's darkest channel (pencil is faint in grey, coloured ink dark in some channel), for
    light ones its brightest.  The background is a closing (an opening for light marks) over a
    fifth of the picture, which removes strokes narrower than that however dense they are and
    keeps shadows, gradients and the desk."""
    if c.ndim == 3:  # per channel: a strided min/max over axis 2 is many times slower
        pick = np.minimum if dark else np.maximum
        v = pick(pick(c[:, :, 0], c[:, :, 1]), c[:, :, 2])
    else:
        v = c
    h, w = v.shape
    f = min(1.0, 160 / max(h, w))  # the background is smooth: estimate it small, fast
    vs = resize(v, f) if f < 1 else v
    short = min(vs.shape)
    k = _odd(max(3, short / 5, min(short / 2.5, 15)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    # Replicated borders: light falling off towards the edges is then followed, not filled in.
    padded = cv2.copyMakeBorder(vs, k, k, k, k, cv2.BORDER_REPLICATE)
    bg = cv2.morphologyEx(padded, cv2.MORPH_CLOSE if dark else cv2.MORPH_OPEN, kernel)[k:-k, k:-k]
    kb = _odd(k / 3)
    bg = cv2.blur(bg, (kb, kb))
    if f < 1:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    sig = bg - v if dark else v - bg
    return np.maximum(sig, 0, out=sig)


def _remove_lines(sig: np.ndarray, level: float) -> np.ndarray:
    """Ruled and squared notebook lines (and straight paper edges): marks a few px thin that run
    along 80% of the picture, two or more of them, or one across all of it.  Their level (a
    grey opening along the line, over a band that allows a slight tilt) is subtracted, so a
    stroke crossing a line keeps what stands out above it.  Found at half resolution (max-pooled,
    so thin lines keep their level), subtracted at full."""
    h, w = sig.shape
    half = sig.shape[0] >= 64 and sig.shape[1] >= 64
    s2 = cv2.dilate(sig, np.ones((2, 2), np.uint8))[::2, ::2] if half else sig
    hh, ww = s2.shape
    lines = None
    for horizontal in (True, False):
        span = ww if horizontal else hh
        length = max(9, span // 6)
        band = cv2.dilate(s2, np.ones((3, 1) if horizontal else (1, 3), np.uint8))
        line = cv2.morphologyEx(band, cv2.MORPH_OPEN, np.ones((1, length) if horizontal else (length, 1), np.uint8))
        m = (line > level).astype(np.uint8)
        if not m.any():
            continue
        n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        start = stats[:, cv2.CC_STAT_LEFT if horizontal else cv2.CC_STAT_TOP]
        extent = stats[:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
        thick = stats[:, cv2.CC_STAT_AREA] / np.maximum(extent, 1)  # mean thickness, band included
        long = (extent >= 0.8 * span) & (thick <= max(5, 0.02 * span))
        long[0] = False
        if long.sum() == 1:  # a lone one must cross the whole picture (a stroke of a tall 1 does not)
            long &= (start <= 0.02 * span) & (start + extent >= 0.98 * span)
        if long.any():
            found = np.where(long[lab], line, 0).astype(np.float32)
            lines = found if lines is None else np.maximum(lines, found)
    if lines is None:
        return sig
    if half:
        lines = cv2.resize(lines, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.maximum(sig - lines, 0)


def layout(mask: np.ndarray, stats: np.ndarray | None = None, labels: np.ndarray | None = None) -> Layout:
    """The digit in a binary mark map, and whether the marks look like one digit.

    The rule (also in the README): marks are 8-connected components.  Specks (under 1% of the
    largest mark's area) and strips along the picture's border (a paper edge) are ignored.  The
    digit is the largest mark, weighted towards the centre, plus every mark within 15% of its
    size (a 5's flag, a pencil stroke broken in pieces), repeatedly.  It is *not one digit* when
      - another mark at least 20% of the digit's area and 35% of its size lies apart from it
        (two digits, a page of text: "separate marks");
      - the digit's marks split into side-by-side parts by a (nearly) empty column, each at
        least 20% of the ink and half the height, in a box wider than tall; or the box is over twice as
        wide as tall (a word);
      - the marks cover over 35% of the picture, or fill over 80% of the digit's box when that
        box is not narrow (a photo of a scene or a face, a blot, not strokes on paper)."""
    if stats is None or labels is None:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    idx = _marks(stats, mask.shape)
    if idx.size == 0:
        return Layout(None, (), 0, None)
    inside, box = _digit(stats, idx, mask.shape)
    r0, r1, c0, c1 = box
    w, h, area = (stats[:, i].astype(np.int64) for i in range(2, 5))
    digit_area = float(area[idx[inside]].sum())
    side = max(r1 - r0, c1 - c0)
    others = ~inside & (area[idx] >= 0.2 * digit_area) & (np.maximum(w[idx], h[idx]) >= 0.35 * side)
    group = tuple(int(i) for i in idx[inside])
    marks = 1 + int(others.sum())
    if others.any():
        problem = Text("digits.error.many_marks", n=marks, text=Text("digits.word.page_of_text") if marks >= 4 else "")
    else:
        problem = _side_by_side(labels, group, box)
    if problem is None:
        problem = _not_on_paper(mask, digit_area, box)
    return Layout((int(r0), int(r1), int(c0), int(c1)), group, marks, problem)


def _marks(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The component labels that count as marks, largest first (at most 400): not the
    background (label 0), not strips along the border, not specks (under 2 px or 1% of the
    largest mark's area).  Empty when nothing is left."""
    H, W = shape
    x, y, w, h, area = (stats[:, i].astype(np.int64) for i in range(5))
    idx = np.arange(1, len(stats))
    if idx.size == 0:
        return idx
    touches = (x[idx] == 0) | (y[idx] == 0) | (x[idx] + w[idx] == W) | (y[idx] + h[idx] == H)
    strip = touches & (((w[idx] >= 0.5 * W) & (h[idx] < 0.15 * H)) | ((h[idx] >= 0.5 * H) & (w[idx] < 0.15 * W)))
    idx = idx[~strip]
    if idx.size == 0:
        return idx
    idx = idx[area[idx] >= max(2, 0.01 * area[idx].max())]
    return idx[np.argsort(-area[idx])][:400]


def _digit(stats: np.ndarray, idx: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, tuple]:
    """Which of the marks ``idx`` make the digit (bool per mark) and its box (r0, r1, c0, c1):
    the largest mark weighted towards the centre, grown by every mark within 15% of its size,
    repeatedly."""
    H, W = shape
    x, y, w, h, area = (stats[:, i].astype(np.int64) for i in range(5))
    cx, cy = x[idx] + w[idx] / 2, y[idx] + h[idx] / 2
    off = np.hypot((cx - W / 2) / W, (cy - H / 2) / H) / 0.7071
    main = int(np.argmax(area[idx] * (1 - 0.5 * off)))
    inside = np.zeros(idx.size, bool)
    inside[main] = True
    r0, r1, c0, c1 = y[idx[main]], y[idx[main]] + h[idx[main]], x[idx[main]], x[idx[main]] + w[idx[main]]
    x0, x1, y0, y1 = x[idx], x[idx] + w[idx], y[idx], y[idx] + h[idx]
    g = 0.15 * max(r1 - r0, c1 - c0) + 2  # from the main mark alone: a page does not snowball
    while True:
        gap = np.maximum.reduce([x0 - c1, c0 - x1, y0 - r1, r0 - y1, np.zeros_like(x0)])
        new = (gap <= g) & ~inside
        if not new.any():
            break
        inside |= new
        r0, r1 = min(r0, y0[new].min()), max(r1, y1[new].max())
        c0, c1 = min(c0, x0[new].min()), max(c1, x1[new].max())
    return inside, (r0, r1, c0, c1)


def _side_by_side(labels: np.ndarray, group: tuple[int, ...], box: tuple) -> Text | None:
    """Why the digit's marks (``group`` in ``box``) look like several digits in a row, or None:
    a box over twice as wide as tall, or one wider than tall split by (nearly) empty columns
    into two or more big parts."""
    r0, r1, c0, c1 = box
    bw, bh = c1 - c0, r1 - r0
    if bw > 2 * bh and bh > 0:
        return Text("digits.error.side_by_side_some")
    if bw > bh:
        cols = np.isin(labels[r0:r1, c0:c1], group).sum(axis=0)
        parts = _column_parts(cols)
        rows_of = [np.isin(labels[r0:r1, c0 + a:c0 + b], group).any(axis=1) for a, b in parts]
        big = [p for p, rows in zip(parts, rows_of)
               if cols[p[0]:p[1]].sum() >= 0.2 * cols.sum() and rows.sum() >= 0.5 * bh]
        if len(big) >= 2:
            return Text("digits.error.side_by_side", n=len(big))
    return None


def _not_on_paper(mask: np.ndarray, digit_area: float, box: tuple) -> Text | None:
    """Why the marks are not strokes on paper (a scene, a face, a blot), or None: they cover
    over 35% of the picture, or fill over 80% of a digit box that is not narrow."""
    H, W = mask.shape
    r0, r1, c0, c1 = box
    side = max(r1 - r0, c1 - c0)
    cover = float(mask.mean())
    fill = digit_area / max(1, (r1 - r0) * (c1 - c0))
    squat = min(r1 - r0, c1 - c0) >= 0.4 * side  # a 1 fills its narrow box, a blot a wide one
    if cover > 0.35 or (fill > 0.8 and squat and side > 0.2 * min(H, W)):
        return Text("digits.error.not_on_paper", p=max(cover, fill * (r1 - r0) * (c1 - c0) / (H * W)),
                    what="" if cover > 0.35 else Text("digits.word.solid_blot"))
    return None


def _column_parts(cols: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inked columns: [(start, stop), ...].  A column with under 12% of the fullest
    column's ink counts as empty: a ruled line or a joining stroke does not join two digits."""
    filled = np.concatenate([[0], (cols > 0.12 * cols.max()).astype(np.int8), [0]])
    d = np.diff(filled)
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


def _components(sig: np.ndarray, lo: float, seed: float):
    """Hysteresis: 8-connected components of sig > lo that reach sig > seed somewhere.  Returns
    (count kept, labels, stats with the area of unseeded components set to 0)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((sig > lo).astype(np.uint8), connectivity=8)
    seeded = np.bincount(labels[sig > seed], minlength=n) > 0
    seeded[0] = False
    stats = stats.copy()
    stats[~seeded, cv2.CC_STAT_AREA] = 0
    return int(seeded.sum()), labels, stats


def _clean_ink(sig: np.ndarray) -> tuple[np.ndarray, Layout | None]:
    """A picture without noise (a canvas or an image made on a computer, MNIST itself): every
    mark is kept as it is, like a drawing, cropped around all of them; the layout is returned
    for a warning, not raised."""
    top = float(sig.max())
    if top < 0.1:
        return np.zeros_like(sig), None
    ink = np.clip(sig / top, 0, 1)
    lay = layout(ink > 0.5)
    box = ink_box(ink)
    r0, r1, c0, c1 = box
    h, w = ink.shape
    m = int(0.1 * max(r1 - r0, c1 - c0)) + 2
    return ink[max(0, r0 - m):min(h, r1 + m), max(0, c0 - m):min(w, c1 + m)], lay


def picture_ink(c: np.ndarray) -> tuple[np.ndarray, Layout | None]:
    """An opaque picture, grey (H, W) or RGB (H, W, 3) in [0, 1], read as a photo of one digit:
    downscaled to PHOTO_WORK px, the paper's level removed (``_mark_signal``, polarity from
    ``_marks_are_dark``), the noise floor measured, ruled lines removed, marks thresholded
    with hysteresis (4 and 8 noise widths, at least 0.03 and 0.06) and the digit's components
    kept (``layout``).  Returns the ink cropped around the digit with a margin, and the layout;
    raises ``NotOneDigit`` when it is not one digit."""
    h, w = c.shape[:2]
    if max(h, w) > 1.2 * PHOTO_WORK:  # (a JPEG decoded at a reduced scale may stay a bit larger)
        c = resize(c, PHOTO_WORK / max(h, w))
        h, w = c.shape[:2]
    grey = c if c.ndim == 2 else c @ LUMA
    dark = _marks_are_dark(grey)
    if dark is None:
        return np.zeros((h, w), np.float32), None
    sig = _mark_signal(c, dark)
    sub = sig[::2, ::2] if sig.size > 20_000 else sig
    med = float(np.median(sub))
    sigma = 1.4826 * float(np.median(np.abs(sub - med)))
    if med > BUSY_LEVEL or sigma > BUSY_LEVEL:  # the "paper" itself stands out: not paper
        raise NotOneDigit("digits.error.busy")
    if med <= CLEAN and sigma <= CLEAN:
        return _clean_ink(sig)
    lo = med + max(4 * sigma, 0.03)
    hi_seed = med + max(8 * sigma, 0.06)
    sig = _remove_lines(sig, lo)
    # Pass 1: the strongest mark (by the ink it holds above the floor) sets the ink's level.
    n, labels, stats = _components(sig, lo, hi_seed)
    if n == 0:
        return np.zeros((h, w), np.float32), None
    mass = np.bincount(labels.ravel(), weights=np.maximum(sig - lo, 0).ravel(), minlength=stats.shape[0])
    mass[stats[:, cv2.CC_STAT_AREA] == 0] = 0
    mass[0] = 0
    main = labels == int(np.argmax(mass))
    level = float(np.percentile(sig[main], 90)) - med
    if level < 0.06:  # nothing stands out enough to be ink
        return np.zeros((h, w), np.float32), None
    # Pass 2: marks are what reaches a quarter of that level (half of it somewhere): faint
    # lighting bumps, paper texture and light specks drop out; pencil keeps its grain.
    lo2, seed2 = max(lo, med + 0.25 * level), max(hi_seed, med + 0.5 * level)
    n, labels, stats = _components(sig, lo2, seed2)
    lay = layout(stats[labels, cv2.CC_STAT_AREA] > 0, stats, labels)
    if lay.box is None:
        return np.zeros((h, w), np.float32), None
    if lay.problem:
        raise NotOneDigit.of(lay.problem)
    return _digit_ink(sig, labels, stats, lay, lo), lay


def _digit_ink(sig: np.ndarray, labels: np.ndarray, stats: np.ndarray, lay: Layout, lo: float) -> np.ndarray:
    """The signal (H, W) over ``lo`` on the digit's components (``lay.labels``), cropped around
    its box with a 10% margin and scaled so its 90th percentile is full ink; soft edges."""
    h, w = sig.shape
    member = np.zeros(stats.shape[0], bool)
    member[list(lay.labels)] = True
    r0, r1, c0, c1 = lay.box
    m = int(0.1 * max(r1 - r0, c1 - c0)) + 2
    r0, r1, c0, c1 = max(0, r0 - m), min(h, r1 + m), max(0, c0 - m), min(w, c1 + m)
    crop = sig[r0:r1, c0:c1]
    region = member[labels[r0:r1, c0:c1]]
    top = float(np.percentile(crop[region], 90))
    region = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # soft edges
    ink = np.clip((crop - lo) / max(top - lo, 1e-3), 0, 1) * region
    return ink.astype(np.float32)
