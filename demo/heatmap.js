// RNN Lens hoverable heatmap: the body of gr.HTML's js_on_load (demo/ui_heatmap.py).
// Gradio runs it once with `element` (the component's root), `props` (props.value is the
// "heat-v1" dict of demo.render.hover_value, or null / "" for nothing), `trigger` and `watch`.
//
// The template never mentions the value, so gradio's re-render on every new value leaves this
// DOM alone; watch("value") swaps the image's src and the decoded numbers instead.  Pointer
// positions are mapped to the image's own pixels, then to the grid (top, left, cell_h, cell_w).
const root = element.querySelector(".rl-heat");
const frame = root.querySelector(".rl-heat-frame");
const img = root.querySelector("img.rl-heat-img");
const band = root.querySelector(".rl-heat-row");
const tip = root.querySelector(".rl-heat-tip");
const caption = root.querySelector(".rl-heat-label");
const MAX_SCALE = Number(root.dataset.maxScale) || 3;  // at most 3x the image's own width
const MAX_H = Number(root.dataset.height) || 0;        // px; 0: no height limit

let v = null;         // the current value, checked
let vals = null;      // Float32Array rows * cols
let hover = null;     // {row, col, x, y} under the pointer (x, y: px in the frame)
let updates = 0;      // values shown so far (tests)
let selects = 0;      // select events sent (tests)

function half(h) {
  // IEEE 754 binary16 -> number.
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * Math.pow(2, -24);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * Math.pow(2, e - 15);
}

function decode(b64, n) {
  let bin;
  try { bin = atob(b64); } catch (_) { return null; }
  if (bin.length !== 2 * n) return null;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = half(bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8));
  return out;
}

function valid(x) {
  if (!x || typeof x !== "object" || x.format !== "heat-v1") return false;
  if (typeof x.src !== "string" || !x.src.startsWith("data:image/")) return false;
  const ints = ["width", "height", "top", "left", "cell_h", "cell_w", "rows", "cols"];
  if (!ints.every((k) => Number.isInteger(x[k]) && x[k] >= 0)) return false;
  return x.rows > 0 && x.cols > 0 && x.cell_h > 0 && x.cell_w > 0 && x.width > 0 && x.height > 0;
}

function fmt(x) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "n/a" : (x > 0 ? "+inf" : "\u2212inf");
  const a = Math.abs(x);
  const digits = a >= 100 ? 1 : 3;
  return (x < 0 ? "\u2212" : "+") + a.toFixed(digits);
}

function rowId(row) {
  return Array.isArray(v.row_ids) && v.row_ids.length === v.rows ? v.row_ids[row] : row;
}

function colId(col) {
  return col + (Number.isInteger(v.first_col) ? v.first_col : 1);
}

function cellAt(clientX, clientY) {
  // Client px -> {row, col, x, y} of the grid cell there, or null outside the grid.
  if (!v) return null;
  const r = frame.getBoundingClientRect();
  if (!r.width || !r.height) return null;
  const x = clientX - r.left, y = clientY - r.top;
  const px = x * v.width / r.width, py = y * v.height / r.height;
  const col = Math.floor((px - v.left) / v.cell_w);
  const row = Math.floor((py - v.top) / v.cell_h);
  if (px < v.left || py < v.top || row < 0 || col < 0 || row >= v.rows || col >= v.cols) return null;
  return { row, col, x, y };
}

function text(c) {
  const value = vals ? vals[c.row * v.cols + c.col] : NaN;
  return {
    value,
    label: (v.row_label || "unit") + " " + rowId(c.row) + " \u00b7 " + (v.col_label || "step") + " " +
      colId(c.col) + " \u00b7 " + (v.what || "h") + " = " + fmt(value),
  };
}

function hide() {
  hover = null;
  tip.hidden = true;
  band.hidden = true;
  root.dataset.hover = "";
}

function show(c) {
  hover = c;
  const t = text(c);
  tip.textContent = t.label;
  tip.hidden = false;
  root.dataset.hover = t.label;
  // The row band, in % of the image so it follows any display size.
  band.style.left = (100 * v.left / v.width) + "%";
  band.style.width = (100 * v.cols * v.cell_w / v.width) + "%";
  band.style.top = (100 * (v.top + c.row * v.cell_h) / v.height) + "%";
  band.style.height = (100 * v.cell_h / v.height) + "%";
  band.hidden = false;
  // The tooltip beside the pointer, kept inside the frame (a phone screen has no room to spare).
  const fw = frame.clientWidth, fh = frame.clientHeight;
  const tw = tip.offsetWidth, th = tip.offsetHeight;
  let x = c.x + 12, y = c.y - th - 8;
  if (x + tw > fw) x = Math.max(0, Math.min(fw - tw, c.x - tw - 12));
  if (y < 0) y = Math.min(c.y + 16, Math.max(0, fh - th));
  tip.style.left = x + "px";
  tip.style.top = y + "px";
}

function fit() {
  // Shown at most MAX_SCALE x its own width, and (with a height limit) no taller than MAX_H.
  let w = v.width * MAX_SCALE;
  if (MAX_H > 0) w = Math.min(w, MAX_H * v.width / v.height);
  frame.style.maxWidth = Math.max(1, Math.floor(w)) + "px";
  frame.style.aspectRatio = v.width + " / " + v.height;
}

function load(x) {
  if (!valid(x)) {
    v = null;
    vals = null;
    hide();
    root.classList.add("is-empty");
    img.removeAttribute("src");
    return;
  }
  v = x;
  vals = typeof x.values === "string" ? decode(x.values, x.rows * x.cols) : null;
  fit();
  if (img.getAttribute("src") !== x.src) img.src = x.src;  // the old picture stays until this decodes
  root.classList.remove("is-empty");
  updates++;
  root.dataset.updates = String(updates);
  if (hover) {  // the pointer stays put while values stream in: name what is under it now
    const c = hover.row < v.rows && hover.col < v.cols ? hover : null;
    if (c) show(c); else hide();
  }
}

frame.addEventListener("pointermove", (e) => {
  const c = cellAt(e.clientX, e.clientY);
  if (c) show(c); else hide();
});
frame.addEventListener("pointerdown", (e) => {  // a finger shows the tooltip where it lands
  const c = cellAt(e.clientX, e.clientY);
  if (c) show(c); else hide();
});
frame.addEventListener("pointerleave", (e) => {
  if (e.pointerType === "mouse") hide();
});
frame.addEventListener("click", (e) => {
  const c = cellAt(e.clientX, e.clientY);
  if (!c) return;
  show(c);
  const t = text(c);
  selects++;
  root.dataset.selects = String(selects);
  trigger("select", { index: [rowId(c.row), colId(c.col)], value: Number.isFinite(t.value) ? t.value : null });
});

watch("value", () => load(props.value));
watch("label", () => {  // gr.update(label=...) from Python: the caption and the alt text follow
  const text = props.label == null ? "" : String(props.label);
  caption.textContent = text;
  img.alt = text;
});
load(props.value);
// Read-only view for tests and debugging (document.querySelector(".rl-heat").rlHeat).
root.rlHeat = { value: () => v, updates: () => updates, selects: () => selects,
  at: (row, col) => (vals && v ? vals[row * v.cols + col] : undefined) };
root.dataset.ready = "true";
