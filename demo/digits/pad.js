// RNN Lens drawing pad: the body of gr.HTML's js_on_load (demo/digits/pad.py).
// Gradio runs it once with `element` (the component's root), `props` (a proxy: setting
// props.value updates the component's value and makes gradio dispatch "change"), `trigger`
// and `watch` (called when Python sets a new value).
//
// Strokes are kept in units of the pad's side (0..1), so the visible canvas can be re-rendered
// sharply at any size and devicePixelRatio, and an offscreen canvas at a fixed resolution gives
// the same ink values on a phone and a desktop.  The value sent is "ink-v1" (see
// demo/digits/pad_ink.py): the offscreen canvas's alpha, area-averaged to INK x INK.
const root = element.querySelector(".rl-pad");
const box = root.querySelector(".rl-pad-box");
const canvas = root.querySelector("canvas.rl-pad-canvas");
const range = root.querySelector("input.rl-pad-brush");
const brushOut = root.querySelector(".rl-pad-brush-value");
const eraserBtn = root.querySelector('[data-act="eraser"]');
const cfg = root.dataset;
const INK = Number(cfg.ink) || 56;           // side of the ink sent, in cells
const SUB = 8;                               // offscreen pixels per cell side
const SIDE = Number(cfg.size) || 420;        // reference side the brush size is given in (px)
const THROTTLE = Number(cfg.throttle) || 100; // ms between values while the pen moves
const COLOR = "#111111";
const N = INK * SUB;
const off = document.createElement("canvas");
off.width = off.height = N;
const octx = off.getContext("2d", { willReadFrequently: true });
const vctx = canvas.getContext("2d");

let strokes = [];     // {pts: [[x, y], ...], w: width / side, erase: bool}
let base = null;      // a picture under the strokes (Image or canvas), stretched over the pad
let current = null;   // {id: pointerId, s: stroke} while the pen is down
let eraser = false;
let timer = null;
let lastSentAt = -Infinity;
let lastSent = null;  // JSON of the last value this pad sent
let lastKey = null;   // the same without its seq: what was drawn, to send nothing twice
let seq = 0;          // values this pad has numbered
// Which pad (page) a value comes from, with seq: the server drops a live answer that a pen-up
// has overtaken (demo/digits/tab.py, PenUps).
const PAD_ID = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => (b % 36).toString(36)).join("");
let loadToken = 0;
let sends = 0;        // values sent so far
let sentAt = null;    // when the last one was sent (epoch ms)

function paint(ctx, S, s, from) {
  // Draw stroke s on a canvas of side S pixels, from point index `from` on (incremental).
  const p = s.pts;
  ctx.save();
  ctx.globalCompositeOperation = s.erase ? "destination-out" : "source-over";
  ctx.strokeStyle = ctx.fillStyle = COLOR;
  ctx.lineWidth = s.w * S;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (from === 0) {  // the dot under the first point: a tap makes a mark, the stroke a round cap
    ctx.beginPath();
    ctx.arc(p[0][0] * S, p[0][1] * S, s.w * S / 2, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (p.length > 1 && from < p.length) {
    const start = Math.max(0, from - 1);
    ctx.beginPath();
    ctx.moveTo(p[start][0] * S, p[start][1] * S);
    for (let i = start + 1; i < p.length; i++) ctx.lineTo(p[i][0] * S, p[i][1] * S);
    ctx.stroke();
  }
  ctx.restore();
}

function render(ctx, S) {
  ctx.clearRect(0, 0, S, S);
  if (base) {
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(base, 0, 0, S, S);
  }
  for (const s of strokes) paint(ctx, S, s, 0);
}

function renderAll() {
  render(octx, N);
  render(vctx, canvas.width);
  root.classList.toggle("is-empty", !base && strokes.length === 0);
}

function fit() {
  // Backing store in device pixels: sharp lines on HiDPI screens.
  const w = box.clientWidth;
  if (!w) return;
  const px = Math.max(1, Math.round(w * (window.devicePixelRatio || 1)));
  if (canvas.width !== px || canvas.height !== px) {
    canvas.width = canvas.height = px;
    render(vctx, px);
  }
}

function encode() {
  // Offscreen alpha -> INK x INK uint8, each cell the mean of its SUB x SUB pixels -> base64.
  const a = octx.getImageData(0, 0, N, N).data;
  const sums = new Uint32Array(INK * INK);
  for (let y = 0; y < N; y++) {
    const row = ((y / SUB) | 0) * INK;
    let i = y * N * 4 + 3;
    for (let x = 0; x < N; x++, i += 4) sums[row + ((x / SUB) | 0)] += a[i];
  }
  const cells = new Uint8Array(INK * INK);
  const area = SUB * SUB;
  for (let i = 0; i < cells.length; i++) cells[i] = Math.round(sums[i] / area);
  let bin = "";
  for (let i = 0; i < cells.length; i += 0x4000) {
    bin += String.fromCharCode.apply(null, cells.subarray(i, i + 0x4000));
  }
  return btoa(bin);
}

function send() {
  clearTimeout(timer);
  timer = null;
  lastSentAt = performance.now();
  const value = { format: "ink-v1", width: INK, height: INK, data: encode(), pad: PAD_ID };
  // While the pen is down the server may skip its slower views; the value sent as the pen
  // lifts has no "drawing" key, and differs, so it always goes out.
  if (current) value.drawing = true;
  const key = JSON.stringify(value);
  if (key === lastKey) return;  // nothing new
  lastKey = key;
  value.seq = ++seq;
  lastSent = JSON.stringify(value);
  sends++;
  sentAt = performance.timeOrigin + performance.now();  // epoch ms
  // Gradio dispatches "change" itself when props.value changes: the live lane, which leaves
  // a pen-up value alone.  A pen-up (or Undo, Clear) also goes out as "submit", the lane of
  // final answers, at once: it does not wait for a live update still on its way.
  props.value = value;
  if (!current) trigger("submit");
}

function schedule() {
  // At most one value per THROTTLE ms while the pen moves; the first one at once.
  if (timer) return;
  const wait = THROTTLE - (performance.now() - lastSentAt);
  if (wait <= 0) send();
  else timer = setTimeout(send, wait);
}

function point(e) {
  const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
}

function brushPx() {
  return Number(range.value);
}

canvas.addEventListener("pointerdown", (e) => {
  if (current || (e.pointerType === "mouse" && e.button !== 0)) return;
  e.preventDefault();
  try { canvas.setPointerCapture(e.pointerId); } catch (_) { /* synthetic events */ }
  const s = { pts: [point(e)], w: brushPx() / SIDE, erase: eraser };
  current = { id: e.pointerId, s };
  root.dataset.pointer = e.pointerType;  // "mouse", "touch" or "pen": for tests and debugging
  strokes.push(s);
  root.classList.remove("is-empty");
  paint(octx, N, s, 0);
  paint(vctx, canvas.width, s, 0);
  schedule();
});

canvas.addEventListener("pointermove", (e) => {
  if (!current || e.pointerId !== current.id) return;
  e.preventDefault();
  const s = current.s;
  const from = s.pts.length;
  const events = (e.getCoalescedEvents && e.getCoalescedEvents().length) ? e.getCoalescedEvents() : [e];
  for (const ev of events) s.pts.push(point(ev));
  paint(octx, N, s, from);
  paint(vctx, canvas.width, s, from);
  schedule();
});

function lift(e) {
  if (!current || e.pointerId !== current.id) return;
  current = null;
  send();  // the final value, right away
}
canvas.addEventListener("pointerup", lift);
canvas.addEventListener("pointercancel", lift);
canvas.addEventListener("lostpointercapture", lift);

root.addEventListener("click", (e) => {
  const btn = e.target.closest("button[data-act]");
  if (!btn || current) return;
  const act = btn.dataset.act;
  if (act === "undo") {
    if (!strokes.length) return;
    strokes.pop();
  } else if (act === "clear") {
    strokes = [];
    base = null;
    loadToken++;
  } else if (act === "eraser") {
    eraser = !eraser;
    btn.setAttribute("aria-pressed", String(eraser));
    root.classList.toggle("is-erasing", eraser);
    return;
  } else {
    return;
  }
  renderAll();
  send();
});

range.addEventListener("input", () => {
  brushOut.textContent = range.value;
});

function inkCanvas(v) {
  // An ink value's data -> a canvas of COLOR with that alpha, or null if malformed.
  const w = v.width, h = v.height;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w * h > 512 * 512) return null;
  let bin;
  try { bin = atob(v.data); } catch (_) { return null; }
  if (bin.length !== w * h) return null;
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = 17;
    img.data[4 * i + 3] = bin.charCodeAt(i);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

function load(v) {
  // Show a value set from Python as the pad's background; no value is sent back (gradio has
  // already dispatched "change" for it), so setting the pad from Python cannot loop.
  const token = ++loadToken;
  strokes = [];
  current = null;
  clearTimeout(timer);
  timer = null;
  base = null;
  lastSent = JSON.stringify(v);
  lastKey = null;  // the next stroke goes out whatever it is
  if (v && typeof v === "object" && v.format === "ink-v1") {
    if (typeof v.background === "string" && v.background.startsWith("data:image/")) {
      const img = new Image();
      img.onload = () => {
        if (token !== loadToken) return;
        base = img;
        renderAll();
      };
      img.src = v.background;
      base = typeof v.data === "string" ? inkCanvas(v) : null;  // until the picture decodes
    } else if (typeof v.data === "string") {
      base = inkCanvas(v);
    }
  }
  renderAll();
}

watch("value", () => {
  const v = props.value;
  if (JSON.stringify(v) === lastSent) return;  // our own value coming back
  load(v);
});

new ResizeObserver(fit).observe(box);
window.addEventListener("resize", fit);
fit();
load(props.value);
range.dispatchEvent(new Event("input"));

// The pad's words (props.words, from demo.digits.pad.pad_words: the page's language), written
// into the DOM here: the template never mentions them, so a new language changes no template
// and gradio never re-renders it over the drawing.  (The prop's name is never quoted in this
// file: gradio reads a quoted name in js_on_load as a custom event, which breaks its updates.)
const WORD_PROPS = Object.keys({ words: 0 });
function applyWords() {
  const w = props[WORD_PROPS[0]];
  if (!w || typeof w !== "object") return;
  const set = (sel, attr, key) => {
    const el = sel ? root.querySelector(sel) : root;
    if (!el || typeof w[key] !== "string") return;
    if (attr) el.setAttribute(attr, w[key]); else el.textContent = w[key];
  };
  set(".rl-pad-legend", null, "hint");
  set(".rl-pad-empty", null, "empty");
  set("canvas.rl-pad-canvas", "aria-label", "label");
  set(".rl-pad-tools", "aria-label", "tools");
  set('[data-act="undo"]', null, "undo");
  set('[data-act="undo"]', "aria-label", "undo_aria");
  set('[data-act="clear"]', null, "clear");
  set('[data-act="clear"]', "aria-label", "clear_aria");
  set('[data-act="eraser"]', null, "eraser");
  set('[data-act="eraser"]', "aria-label", "eraser");
  set(".rl-pad-brush-label", null, "brush");
  set("input.rl-pad-brush", "aria-label", "brush_aria");
}
watch(WORD_PROPS, applyWords);
applyWords();
// Read-only view for tests and debugging (document.querySelector(".rl-pad").rlPad).
root.rlPad = { value: () => props.value, strokes: () => strokes.length, sends: () => sends,
  sentAt: () => sentAt };
root.dataset.ready = "true";
