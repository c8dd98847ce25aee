"""Preview the Text tab's views as one HTML file (and the heatmap as a PNG), without the app.

    python scripts/preview_text_views.py --weights-dir weights --out /tmp/text_views_preview.html
"""
import argparse
from pathlib import Path

from PIL import Image

from demo.text import units as tu
from demo.text import views
from demo.text.analysis import score_text, trace_text
from demo.text.model import load_char_model

p = argparse.ArgumentParser(description="Preview the Text tab's views as one HTML file.")
p.add_argument("--weights-dir", help="folder with char_lstm.* (default: weights/)")
p.add_argument("--out", default="/tmp/text_views_preview.html", help="HTML file to write")
args = p.parse_args()
m = load_char_model("lstm", args.weights_dir)
gen = m.generate("ROMEO:\n", 300, 0.8, rng_seed=0)
tr = trace_text(m, "ROMEO:\n", gen)
found = tu.discover_units(m, m.generate("\n", 3000, 0.8, rng_seed=1))
u = found[0] if found else tu.Unit("column", "", "h", 0, 0.0)
scored = score_text(m, gen)
Path(args.out).write_text(views.units_table_html(found, "generated text")
                          + views.unit_html(tr, u.state_name, u.unit) + views.step_html(tr, 10)
                          + views.surprise_html(gen, scored.surprise))
Image.fromarray(views.heatmap_image(tr, u.state_name, 10, u.unit)).save("/tmp/text_views_heatmap.png")
print(f"wrote {args.out} and /tmp/text_views_heatmap.png")
