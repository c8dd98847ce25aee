"""What one hidden unit of the top layer does: its share of the answer for this drawing, the
unit orders the heatmaps can use, and a plain-words line for its class profile (looked up in
``demo.digits.lookups``).  Pure.

    from demo.digits.units import contributions, unit_order, describe_profile
    c = contributions(model, trace)        # (H,) w_k[u] * h_28[u]: each unit's part of logit z_k
    order = unit_order("influence", model, trace, lookups)   # a permutation of the units
    describe_profile(lookups.class_means[37])   # "high for 0 and 6, low for 1"
"""
from __future__ import annotations

import numpy as np

from demo.digits.model import CLASSES, DigitModel, DigitTrace
from demo.errors import UserError

ORDERS = {"index": "unit number", "influence": "influence on this answer",
          "clustered": "clustered by activation pattern"}


def contributions(model: DigitModel, trace: DigitTrace) -> np.ndarray:
    """(H,) each unit's additive part of the predicted class's logit after row 28: the head is
    linear, so z_k = sum_u W[k, u] h_28[u] + b_k.  A deeper head: gradient × activation."""
    k = int(trace.probs[-1].argmax())
    h = trace.h[-1]
    head = model.net.head
    if len(head) == 1:
        return head[0].weight.detach().numpy()[k] * h
    import torch
    ht = torch.from_numpy(h.copy()).requires_grad_(True)
    (g,) = torch.autograd.grad(head(ht[None])[0, k], ht)
    return g.numpy() * h


def top_units(model: DigitModel, trace: DigitTrace, k: int) -> list[int]:
    """The k units that support the predicted class most (largest positive contribution)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= model.hidden:
        raise UserError("digits.error.top_k", max=model.hidden, value=repr(k)[:40])
    return [int(u) for u in np.argsort(-contributions(model, trace), kind="stable")[:k]]


def unit_order(kind: str, model: DigitModel, trace: DigitTrace, lookups=None) -> np.ndarray:
    """A permutation of the H units for the heatmaps' rows: "index" (0..H-1), "influence" (most
    supportive of this answer first) or "clustered" (precomputed: similar units adjacent)."""
    if kind == "index":
        return np.arange(model.hidden)
    if kind == "influence":
        return np.argsort(-contributions(model, trace), kind="stable")
    if kind == "clustered":
        if lookups is None:
            raise UserError("digits.error.clustered")
        return np.asarray(lookups.order)
    raise ValueError(f"unknown unit order {kind!r}; choose one of {', '.join(ORDERS)}")


def _classes(ks) -> str:
    ks = [CLASSES[int(k)] for k in ks]
    return ks[0] if len(ks) == 1 else ", ".join(ks[:-1]) + " and " + ks[-1]


def describe_profile(means: np.ndarray, lang: str = "en") -> str:
    """A plain-words line for a unit's mean final activation per class (10,), where the profile
    is clear: the classes more than 1.2 standard deviations (over the classes) above or below
    the average, at most three each; else it says the unit does not separate the classes."""
    means = np.asarray(means, np.float64)
    if lang != "en":
        return _describe_profile(means, lang)
    spread = means.std()
    if spread < 0.05 or means.max() - means.min() < 0.15:
        return (f"About the same for every class (from {means.min():+.2f} to {means.max():+.2f}): "
                f"this unit does not tell the digits apart on its own.")
    z = (means - means.mean()) / spread
    high = [k for k in np.argsort(-z) if z[k] > 1.2][:3]
    low = [k for k in np.argsort(z) if z[k] < -1.2][:3]
    parts = []
    if high:
        parts.append(f"high for {_classes(high)}")
    if low:
        parts.append(f"low for {_classes(low)}")
    if not parts:
        top, bottom = int(np.argmax(means)), int(np.argmin(means))
        return (f"A graded profile: highest for {CLASSES[top]} ({means[top]:+.2f}), lowest for "
                f"{CLASSES[bottom]} ({means[bottom]:+.2f}), no class stands out.")
    return (", ".join(parts)).capitalize() + f" (class means from {means.min():+.2f} to {means.max():+.2f})."


def _describe_profile(means: np.ndarray, lang: str) -> str:
    """``describe_profile`` from demo/i18n's texts."""
    from demo.i18n import t

    def listed(ks) -> str:
        ks = [CLASSES[int(k)] for k in ks]
        if len(ks) == 1:
            return ks[0]
        return t("digits.profile.list_and", lang, first=t("app.sep.enum", lang).join(ks[:-1]), last=ks[-1])

    spread = means.std()
    lo, hi = means.min(), means.max()
    if spread < 0.05 or hi - lo < 0.15:
        return t("digits.profile.flat", lang, lo=lo, hi=hi)
    z = (means - means.mean()) / spread
    high = [k for k in np.argsort(-z) if z[k] > 1.2][:3]
    low = [k for k in np.argsort(z) if z[k] < -1.2][:3]
    parts = ([t("digits.profile.high", lang, classes=listed(high))] if high else []) + \
            ([t("digits.profile.low", lang, classes=listed(low))] if low else [])
    if not parts:
        top, bottom = int(np.argmax(means)), int(np.argmin(means))
        return t("digits.profile.graded", lang, top=CLASSES[top], top_value=means[top], bottom=CLASSES[bottom],
                 bottom_value=means[bottom])
    return t("digits.profile.means", lang, parts=t("app.sep.list", lang).join(parts), lo=lo, hi=hi)
