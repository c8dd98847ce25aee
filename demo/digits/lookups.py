"""Precomputed facts about each shipped digit model, looked up by the app (never computed on a
click): per hidden unit its mean final activation per class and the test digits that drive it
highest and lowest; a clustered unit order; the mean row influence over test digits; and the
2-D projection (PCA) of final hidden states with a cloud of test digits.

They live beside the weights as ``weights/digits_NAME_lookups.npz`` + ``.json`` and are made by

    python training/digit_lookups.py --data-dir ../shared/data

The JSON records the weights' SHA-256 and the command; a lookup made for other weights is
refused with the command that remakes it (``load_lookups`` raises ``WeightsError``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
