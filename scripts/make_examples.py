"""Write the app's example drawings, examples/digit_0.png ... digit_9.png, drawn by
demo.sketches (pen strokes rendered by a script, not MNIST images).

    python scripts/make_examples.py
"""
from pathlib import Path

from PIL import Image

from demo.digits.sketches import example_digit
from demo.digits.page import CANVAS

ROOT = Path(__file__).resolve().parent.parent
BRUSH_COLOUR = "#3b82f6"        # #rrggbb: the strokes' colour, visible on light and dark themes


def main() -> None:
    out = ROOT / "examples"
    out.mkdir(exist_ok=True)
    rgb = [int(BRUSH_COLOUR[k:k + 2], 16) for k in (1, 3, 5)]
    for d in range(10):
        layer = example_digit(d, size=CANVAS)  # (H, W, 4): strokes in the alpha channel
        layer[..., :3] = rgb  # the brush colour, so examples read on light and dark themes
        Image.fromarray(layer, "RGBA").save(out / f"digit_{d}.png", optimize=True)
    print(f"wrote {out}/digit_0.png ... digit_9.png")


if __name__ == "__main__":
    main()
