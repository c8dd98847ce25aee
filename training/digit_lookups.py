"""Precompute what the Digits tab looks up about each shipped model, from the MNIST test set,
into weights/digits_NAME_lookups.npz + .json (see demo/digits/lookups.py for every array):

- per top-layer hidden unit: mean final activation per class, the 9 test digits that drive it
  highest and the 9 lowest (kept as 28x28 thumbnails), and a clustered unit order;
- row influence over data: mean |d z_k / d row_t| and mean occlusion drop over 1,000 test digits;
- the first two principal components of the final hidden states, with 2,000 test digits on them.

    python training/digit_lookups.py --data-dir ../shared/data            # every shipped model
    python training/digit_lookups.py --models bilstm peephole               # only these two
    python training/digit_lookups.py --models lstm --influence-digits 200  # quicker

The JSON records the weights' SHA-256 and this command; the app refuses lookups made for other
weights.  About 1 minute per model on one CPU thread.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from demo.checkpoint import atomic_write
from demo.digits import load_digit_model
from demo.digits.controls import MODEL_NAMES
from demo.digits.lookups import final_states, lookup_paths, state_lookups
from demo.runtime import configure_torch
from training.common import DEFAULT_DATA_DIR, ROOT, command_line


def load_test_set(data_dir: Path) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """MNIST's 10,000 test digits as float (N, 28, 28) in [0, 1], labels, and file checksums."""
    from torchvision import datasets
    raw = Path(data_dir) / "MNIST" / "raw"
    if not (raw / "t10k-images-idx3-ubyte").is_file():
        raise SystemExit(f"no MNIST test set under {raw} (pass --data-dir)")
    test = datasets.MNIST(str(data_dir), train=False, download=False)
    sums = {n: hashlib.sha256((raw / n).read_bytes()).hexdigest()
            for n in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
    return test.data.float() / 255.0, test.targets.clone(), sums


def row_influence(net, x: torch.Tensor, batch: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """Mean over x of the two per-row influence measures of DigitModel.row_influence: (28,) each."""
    grads, occl = [], []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch].clone().requires_grad_(True)  # (B, 28, 28)
        logits = net(xb)
        k = logits.argmax(1)
        # each digit's logit depends only on its own input: the gradient of the sum is per digit
        (g,) = torch.autograd.grad(logits.gather(1, k[:, None]).sum(), xb)
        grads.append(g.norm(dim=2))  # (B, 28)
        with torch.no_grad():
            p0 = torch.softmax(logits, 1).gather(1, k[:, None])[:, 0]  # (B,)
            drops = []
            for t in range(28):
                blank = xb.detach().clone()
                blank[:, t] = 0.0
                drops.append(p0 - torch.softmax(net(blank), 1).gather(1, k[:, None])[:, 0])
            occl.append(torch.stack(drops, 1))  # (B, 28)
    return torch.cat(grads).mean(0).numpy(), torch.cat(occl).mean(0).numpy()


def lookups_for(model, x: torch.Tensor, y: torch.Tensor, influence_digits: int, cloud_digits: int) -> dict:
    """Every array of the lookups (demo.digits.lookups.DigitLookups) over the test set x, y."""
    h = final_states(model, x).numpy()  # (N, H)
    gradient, occlusion = row_influence(model.net.eval(), x[:influence_digits])
    return {**state_lookups(h, x.numpy(), y.numpy(), cloud_digits),
            "influence_gradient": gradient.astype(np.float32), "influence_occlusion": occlusion.astype(np.float32)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding MNIST/raw")
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="where digits_NAME.* live")
    p.add_argument("--models", nargs="+", default=list(MODEL_NAMES), help="model names (digits_NAME)")
    p.add_argument("--influence-digits", type=int, default=1000, help="test digits for the row-influence curves")
    p.add_argument("--cloud-digits", type=int, default=2000, help="test digits drawn in the state projection")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    args = p.parse_args()
    configure_torch(args.threads)
    x, y, sums = load_test_set(args.data_dir)
    for name in args.models:
        t0 = time.perf_counter()
        model = load_digit_model(name, args.weights_dir)
        arrays = lookups_for(model, x, y, args.influence_digits, args.cloud_digits)
        npz, js = lookup_paths(name, args.weights_dir)
        atomic_write(npz, lambda tmp: np.savez_compressed(open(tmp, "wb"), **arrays))
        meta = {"kind": "digits_lookups", "model": name, "weights_sha256": model.meta.get("weights_sha256"),
                "data": {"dataset": "MNIST test set", "images": len(y), "sha256": sums,
                         "influence_digits": args.influence_digits, "cloud_digits": args.cloud_digits},
                "pca_variance": [round(float(v), 4) for v in arrays["pca_variance"]],
                "npz_sha256": hashlib.sha256(npz.read_bytes()).hexdigest(),
                "wall_time_s": round(time.perf_counter() - t0, 1), "command": command_line(__file__)}
        atomic_write(js, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2) + "\n"))
        g = arrays["influence_gradient"]
        print(f"{name}: {npz.stat().st_size / 1e6:.2f} MB in {meta['wall_time_s']}s; gradient per row "
              f"rows 1-7 {g[:7].mean():.3f}, 8-14 {g[7:14].mean():.3f}, 15-21 {g[14:21].mean():.3f}, "
              f"22-28 {g[21:].mean():.3f}; PCA variance {meta['pca_variance']}")


if __name__ == "__main__":
    main()
