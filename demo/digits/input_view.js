// RNN Lens input view: the body of gr.HTML's js_on_load (demo/digits/input_view.py).  Gradio
// runs it once with `element`, `props` (props.value: a "digit-v1" dict of demo.render.digit_value,
// or null for nothing) and `watch`.  Draws render.digit_image's pixels: the input's bytes g, white
// on black; with t (1-based): rows after t dimmed to trunc(g * 0.25 + 20), row t tinted
// trunc(q * A + (1 - q) * A * 0.35) with q = g / 255 (float64 in numpy and here alike), every
// cell a scale x scale block, and the first and last pixel rows of row t orange.  With "back" (a
// second head, reading upwards from the last row): row back tinted and framed in BACK alike, and
// only the rows between the heads (read by neither yet) dimmed; "legend" names each head's colour.
const root = element.querySelector(".rl-digit");
const canvas = root.querySelector("canvas");
const ACCENT = [255, 140, 0], BACK = [0, 170, 255];  // render.ACCENT, render.BACK_ACCENT
const SIDE = Number(root.dataset.height) || 280;
let updates = 0;  // values shown so far (tests, benchmarks/bench_browser.py)
let shown = null; // the value drawn (null: nothing)
// The canvas's pixels (and a 32-bit view of them) and one enlarged row: kept while the size stays.
let img = null, px = null, line = null;
const word = new Uint8Array(4), word32 = new Uint32Array(word.buffer);  // one RGBA pixel

function bytes(x) {
  // The value's ink as bytes, or null when the value is not a well-formed "digit-v1".
  if (!x || typeof x !== "object" || x.format !== "digit-v1") return null;
  const W = x.width, H = x.height, s = x.scale, t = x.t, back = x.back;
  if (![W, H, s].every((n) => Number.isInteger(n) && n >= 1) || W * s > 4096 || H * s > 4096) return null;
  const row = (r) => Number.isInteger(r) && r >= 1 && r <= H;
  if (!(t == null || row(t)) || !(back == null || (t != null && row(back))) || typeof x.ink !== "string") return null;
  if (x.legend != null && !(Array.isArray(x.legend) && x.legend.length === (back == null ? 1 : 2))) return null;
  let bin;
  try { bin = atob(x.ink); } catch (_) { return null; }
  return bin.length === W * H ? bin : null;
}

function draw(x) {
  const bin = bytes(x);
  updates++;
  root.dataset.updates = String(updates);
  shown = bin === null ? null : x;
  showLegend(bin === null ? null : x);
  if (bin === null) {
    root.classList.add("is-empty");
    canvas.setAttribute("aria-label", "");
    return;
  }
  const W = x.width, H = x.height, s = x.scale, t = x.t, PW = W * s;
  const back = x.back == null ? -1 : x.back, readTo = back < 0 ? H : Math.max(t, back - 1);  // rows t..readTo-1 dimmed
  const ctx = canvas.getContext("2d");
  if (!img || canvas.width !== PW || canvas.height !== H * s) {
    canvas.width = PW;
    canvas.height = H * s;
    canvas.style.width = Math.round(SIDE * W / Math.max(W, H)) + "px";
    img = ctx.createImageData(PW, H * s);
    px = new Uint32Array(img.data.buffer);
    line = new Uint32Array(PW);  // one input row, enlarged, copied to its s pixel rows
  }
  word[3] = 255;
  for (let y = 0; y < H; y++) {
    for (let c = 0; c < W; c++) {
      const g = bin.charCodeAt(y * W + c);
      const head = y === back - 1 ? BACK : t != null && y === t - 1 ? ACCENT : null;
      if (head) {
        const q = g / 255;
        for (let k = 0; k < 3; k++) word[k] = Math.trunc(q * head[k] + (1 - q) * head[k] * 0.35);
      } else if (t != null && y >= t && y < readTo) {
        word[0] = word[1] = word[2] = Math.trunc(g * 0.25 + 20);
      } else {
        word[0] = word[1] = word[2] = g;
      }
      line.fill(word32[0], c * s, c * s + s);
    }
    for (let dy = 0; dy < s; dy++) px.set(line, (y * s + dy) * PW);
  }
  const frames = t == null ? [] : back < 0 ? [[t, ACCENT]] : [[t, ACCENT], [back, BACK]];
  for (const [r, c] of frames) {
    word[0] = c[0]; word[1] = c[1]; word[2] = c[2];
    px.fill(word32[0], (r - 1) * s * PW, ((r - 1) * s + 1) * PW);
    px.fill(word32[0], (r * s - 1) * PW, r * s * PW);
  }
  ctx.putImageData(img, 0, 0);
  canvas.setAttribute("aria-label", typeof x.alt === "string" ? x.alt : "");
  root.classList.remove("is-empty");
}

let legend = null;  // the heads' legend under the canvas, made when a value first has one
function showLegend(x) {
  const texts = x && Array.isArray(x.legend) ? x.legend : null;
  if (!texts) { if (legend) legend.hidden = true; return; }
  if (!legend) {
    legend = document.createElement("p");
    legend.className = "rl-digit-legend";
    root.appendChild(legend);
  }
  legend.replaceChildren(...texts.map((text, k) => {
    const item = document.createElement("span"), swatch = document.createElement("i");
    swatch.style.background = "rgb(" + (k ? BACK : ACCENT).join(",") + ")";
    item.append(swatch, String(text));
    return item;
  }));
  legend.hidden = false;
}

watch("value", () => draw(props.value));
draw(props.value);
// Read-only view for tests and debugging (document.querySelector(".rl-digit").rlDigit).
root.rlDigit = { value: () => shown, updates: () => updates };
root.dataset.ready = "true";
