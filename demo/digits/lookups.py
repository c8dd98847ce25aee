"""Precomputed facts about each shipped digit model, looked up by the app (never computed on a
click): per hidden unit its mean final activation per class and the test digits that drive it
highest and lowest; a clustered unit order; the mean row influence over test digits; and the
2-D projection (PCA) of final hidden states with a cloud of test digits.

They live beside the weights as ``weights/digits_NAME_lookups.npz`` + ``.json`` and are made by

    python training/digit_lookups.py --data-dir ../shared/data

The JSON records the weights' SHA-256 and the command; a lookup made for other weights is
refused with the command that remakes it (``load_lookups`` raises ``WeightsError``).

A model someone trained and opened in the lens (demo.lens_models) gets its lookups here, from the
validation digits of its run (``lookups_over``: a second or so): the same arrays from its final
states (``state_lookups``, which the script uses too), without the row influence over data.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import torch

from demo.checkpoint import WEIGHTS_DIR, load_lookup_pair

MAKE_COMMAND = "python training/digit_lookups.py --data-dir ../shared/data"
TOP = 9  # thumbnails per unit and direction


@dataclass(frozen=True)
class DigitLookups:
    class_means: np.ndarray     # (H, 10) mean final h (row 28) per true class, test set
    overall_mean: np.ndarray    # (H,) mean final h over the test set
    top: np.ndarray             # (H, TOP) thumbnail ids of the test digits with the highest final h
    bottom: np.ndarray          # (H, TOP) ... and the lowest
    top_values: np.ndarray      # (H, TOP) their activations
    bottom_values: np.ndarray   # (H, TOP)
    thumbs: np.ndarray          # (N, 28, 28) uint8 the test digits referred to above
    thumb_labels: np.ndarray    # (N,) their true classes
    order: np.ndarray           # (H,) units clustered by activation pattern (similar ones adjacent)
    influence_gradient: np.ndarray   # (28,) mean |d z_k / d row_t| over test digits
    influence_occlusion: np.ndarray  # (28,) mean p_k drop when row t is blanked
    pca_mean: np.ndarray        # (H,) mean final state
    pca_components: np.ndarray  # (2, H) the first two principal components
    pca_variance: np.ndarray    # (2,) fraction of the variance each explains
    cloud: np.ndarray           # (M, 2) test digits' final states projected
    cloud_labels: np.ndarray    # (M,) their classes
    meta: dict

    @property
    def hidden(self) -> int:
        return self.class_means.shape[0]

    def project(self, h: np.ndarray) -> np.ndarray:
        """Hidden states (..., H) -> (..., 2) on the two principal components."""
        return (np.asarray(h, np.float32) - self.pca_mean) @ self.pca_components.T


def lookup_paths(name: str, weights_dir=None) -> tuple[Path, Path]:
    stem = Path(weights_dir or WEIGHTS_DIR) / f"digits_{name}_lookups"
    return stem.with_suffix(".npz"), stem.with_suffix(".json")


def load_lookups(name: str, weights_sha256: str | None, weights_dir=None) -> DigitLookups:
    """The lookups of model ``name``; WeightsError (naming the file and the command) when they
    are missing, damaged or were made for other weights."""
    fields = [f for f in DigitLookups.__dataclass_fields__ if f != "meta"]
    stem = lookup_paths(name, weights_dir)[0].with_suffix("")
    arrays, meta = load_lookup_pair(stem, weights_sha256, fields, MAKE_COMMAND, f"digits_{name}")
    return DigitLookups(**{f: arrays[f] for f in fields}, meta=meta)


# -- made from final states (the script's test set, or a run's validation digits) ---------------

@torch.no_grad()
def final_states(model, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """What the head reads after the last row for every image x (N, 28, 28) in [0, 1]: (N, H), or
    (N, 2H) both ways.  ``model`` a DigitModel (a "remember" one reads its blank rows too)."""
    net = model.net.eval()
    out = [net.after_each_step(net.rnn(net.normalise(model.rows(x[i:i + batch])))[0])[:, -1]
           for i in range(0, len(x), batch)]
    return torch.cat(out)


def spectral_order(acts: np.ndarray) -> np.ndarray:
    """Units ordered so that units with similar activation patterns sit together: sort by the
    Fiedler vector of the graph whose edge weights are |correlation| between units.
    acts (N, H) -> (H,) permutation."""
    a = acts - acts.mean(0)
    sd = a.std(0)
    a = np.divide(a, sd, out=np.zeros_like(a), where=sd > 1e-8)
    w = np.abs(a.T @ a / len(a))  # (H, H)
    np.fill_diagonal(w, 0.0)
    lap = np.diag(w.sum(1)) - w
    _, vecs = np.linalg.eigh(lap)
    return np.argsort(vecs[:, 1], kind="stable")


def state_lookups(h: np.ndarray, x: np.ndarray, labels: np.ndarray, cloud_digits: int) -> dict:
    """Every array of DigitLookups but the row influence, from the final states h (N, H) of the
    images x (N, 28, 28) in [0, 1] whose classes are ``labels`` (N,)."""
    class_means = np.stack([h[labels == c].mean(0) if (labels == c).any() else np.zeros(h.shape[1], h.dtype)
                            for c in range(10)], 1)  # (H, 10)
    order = np.argsort(h, axis=0, kind="stable")  # (N, H) ascending per unit
    top_idx, bottom_idx = order[::-1][:TOP].T, order[:TOP].T  # (H, TOP) image indices
    used = np.unique(np.concatenate([top_idx.ravel(), bottom_idx.ravel()]))
    where = {int(i): j for j, i in enumerate(used)}
    to_thumb = np.vectorize(lambda i: where[int(i)])
    centre = h.mean(0)
    _, s, vt = np.linalg.svd(h - centre, full_matrices=False)
    components = vt[:2]
    variance = (s[:2] ** 2) / max(float((s ** 2).sum()), 1e-12)
    cloud = (h[:cloud_digits] - centre) @ components.T
    return {
        "class_means": class_means.astype(np.float32), "overall_mean": h.mean(0).astype(np.float32),
        "top": to_thumb(top_idx).astype(np.int32), "bottom": to_thumb(bottom_idx).astype(np.int32),
        "top_values": np.take_along_axis(h.T, top_idx, 1).astype(np.float32),
        "bottom_values": np.take_along_axis(h.T, bottom_idx, 1).astype(np.float32),
        "thumbs": np.round(np.asarray(x)[used] * 255).astype(np.uint8), "thumb_labels": labels[used].astype(np.int8),
        "order": spectral_order(h).astype(np.int32),
        "pca_mean": centre.astype(np.float32), "pca_components": components.astype(np.float32),
        "pca_variance": variance.astype(np.float32),
        "cloud": cloud.astype(np.float32), "cloud_labels": labels[:cloud_digits].astype(np.int8),
    }


def lookups_over(model, images: np.ndarray, labels: np.ndarray) -> DigitLookups:
    """The lookups of ``model`` (a DigitModel opened in the lens) over ``images`` (N, 28, 28)
    uint8 with their ``labels`` (N,): its run's validation digits.  The row influence over data
    is not measured (empty arrays): the Digits tab draws those curves for the shipped models."""
    x = torch.from_numpy(np.asarray(images, np.float32) / 255.0)
    h = final_states(model, x).numpy()
    labels = np.asarray(labels)
    arrays = state_lookups(h, x.numpy(), labels, cloud_digits=len(labels))
    meta = {"kind": "digits_lookups", "model": model.name, "weights_sha256": None,
            "data": {"dataset": "MNIST, the run's validation digits", "images": len(labels), "own": len(labels),
                     "influence_digits": 0}}
    empty = np.zeros(0, np.float32)
    return DigitLookups(**arrays, influence_gradient=empty, influence_occlusion=empty, meta=meta)
