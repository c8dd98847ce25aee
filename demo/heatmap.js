// RNN Lens hoverable heatmap: the body of gr.HTML's js_on_load (demo/ui_heatmap.py).
// Gradio runs it once with `element` (the component's root), `props` (props.value is a
// "heat-v1" dict of demo.render.hover_value, a "heat-v2" dict of demo.render.heat_value, or
// null / "" for nothing), `trigger` and `watch`.
//
// The template never mentions the value, so gradio's re-render on every new value leaves this
// DOM alone; watch("value") swaps the picture and the decoded numbers instead: "heat-v1" sets the
// <img>'s src (a PNG made on the server), "heat-v2" draws the numbers on the <canvas> here, in
// the colours of render.colorize (LUTS below), at the natural size (CSS enlarges it pixelated).
// Pointer positions are mapped to the picture's own pixels, then to the grid (top, left,
// cell_h, cell_w).
const root = element.querySelector(".rl-heat");
const frame = root.querySelector(".rl-heat-frame");
const img = root.querySelector("img.rl-heat-img");
const canvas = root.querySelector("canvas.rl-heat-canvas");
const band = root.querySelector(".rl-heat-row");
const tip = root.querySelector(".rl-heat-tip");
const caption = root.querySelector(".rl-heat-label");
const MAX_SCALE = Number(root.dataset.maxScale) || 3;  // at most 3x the picture's own width
const MAX_H = Number(root.dataset.height) || 0;        // px; 0: no height limit

let v = null;         // the current value, checked
let vals = null;      // Float32Array rows * cols
let hover = null;     // {row, col, x, y} under the pointer (x, y: px in the frame)
let updates = 0;      // values shown so far (tests)
let selects = 0;      // select events sent (tests)
let draws = 0;        // "heat-v2" pictures drawn (tests)

// BEGIN LUTS: generated from demo.render._lut by python -m demo.ui_heatmap; do not edit
const LUTS = {
  diverging: new Uint8Array([
    33, 102, 172, 34, 103, 173, 35, 104, 173, 36, 105, 174, 37, 106, 174, 38, 107, 175, 40, 108, 175,
    41, 109, 176, 42, 110, 176, 43, 111, 177, 44, 112, 177, 45, 114, 178, 46, 115, 179, 47, 116, 179,
    48, 117, 180, 49, 118, 180, 50, 119, 181, 52, 120, 181, 53, 121, 182, 54, 122, 182, 55, 123, 183,
    56, 124, 183, 57, 125, 184, 58, 126, 185, 59, 127, 185, 60, 128, 186, 61, 129, 186, 63, 130, 187,
    64, 131, 187, 65, 132, 188, 66, 133, 188, 67, 134, 189, 68, 136, 190, 69, 137, 190, 70, 138, 191,
    71, 139, 191, 72, 140, 192, 73, 141, 192, 75, 142, 193, 76, 143, 193, 77, 144, 194, 78, 145, 194,
    79, 146, 195, 80, 147, 196, 81, 148, 196, 82, 149, 197, 83, 150, 197, 84, 151, 198, 86, 152, 198,
    87, 153, 199, 88, 154, 199, 89, 155, 200, 90, 156, 200, 91, 157, 201, 92, 159, 202, 93, 160, 202,
    94, 161, 203, 95, 162, 203, 96, 163, 204, 98, 164, 204, 99, 165, 205, 100, 166, 205, 101, 167, 206,
    102, 168, 206, 103, 169, 207, 105, 170, 208, 108, 171, 208, 110, 173, 209, 112, 174, 210, 114, 175, 210,
    116, 176, 211, 119, 178, 211, 121, 179, 212, 123, 180, 213, 126, 181, 213, 128, 182, 214, 130, 184, 214,
    132, 185, 215, 134, 186, 216, 137, 187, 216, 139, 188, 217, 141, 190, 218, 144, 191, 218, 146, 192, 219,
    148, 193, 220, 150, 195, 220, 152, 196, 221, 155, 197, 221, 157, 198, 222, 159, 199, 223, 162, 201, 223,
    164, 202, 224, 166, 203, 224, 168, 204, 225, 170, 206, 226, 173, 207, 226, 175, 208, 227, 177, 209, 228,
    180, 210, 228, 182, 212, 229, 184, 213, 230, 186, 214, 230, 188, 215, 231, 191, 217, 231, 193, 218, 232,
    195, 219, 233, 198, 220, 233, 200, 221, 234, 202, 223, 234, 204, 224, 235, 206, 225, 236, 209, 226, 236,
    211, 228, 237, 213, 229, 238, 216, 230, 238, 218, 231, 239, 220, 232, 240, 222, 234, 240, 224, 235, 241,
    227, 236, 241, 229, 237, 242, 231, 238, 243, 234, 240, 243, 236, 241, 244, 238, 242, 244, 240, 243, 245,
    242, 245, 246, 245, 246, 246, 247, 247, 247, 247, 245, 245, 247, 244, 242, 247, 242, 240, 246, 240, 238,
    246, 238, 235, 246, 237, 233, 246, 235, 231, 246, 233, 228, 246, 232, 226, 246, 230, 224, 246, 228, 221,
    246, 227, 219, 245, 225, 217, 245, 223, 214, 245, 221, 212, 245, 220, 210, 245, 218, 207, 245, 216, 205,
    245, 215, 203, 244, 213, 200, 244, 211, 198, 244, 210, 196, 244, 208, 193, 244, 206, 191, 244, 204, 189,
    244, 203, 186, 244, 201, 184, 244, 199, 182, 243, 198, 179, 243, 196, 177, 243, 194, 175, 243, 192, 172,
    243, 191, 170, 243, 189, 168, 243, 187, 166, 242, 186, 163, 242, 184, 161, 242, 182, 159, 242, 181, 156,
    242, 179, 154, 242, 177, 152, 242, 175, 149, 242, 174, 147, 242, 172, 145, 241, 170, 142, 241, 169, 140,
    241, 167, 138, 241, 165, 135, 241, 164, 133, 241, 162, 131, 241, 160, 128, 240, 158, 126, 240, 157, 124,
    240, 155, 121, 240, 153, 119, 240, 152, 117, 240, 150, 114, 240, 148, 112, 240, 147, 110, 240, 145, 107,
    239, 143, 105, 239, 141, 103, 239, 140, 100, 239, 138, 98, 238, 136, 97, 237, 134, 96, 236, 133, 95,
    235, 131, 95, 234, 129, 94, 233, 127, 93, 232, 126, 92, 231, 124, 91, 230, 122, 90, 229, 120, 89,
    229, 118, 89, 228, 117, 88, 227, 115, 87, 226, 113, 86, 225, 111, 85, 224, 110, 84, 223, 108, 83,
    222, 106, 83, 221, 104, 82, 220, 102, 81, 219, 101, 80, 218, 99, 79, 217, 97, 78, 216, 95, 77,
    215, 93, 77, 214, 92, 76, 213, 90, 75, 212, 88, 74, 211, 86, 73, 210, 85, 72, 209, 83, 71,
    208, 81, 70, 208, 79, 70, 207, 77, 69, 206, 76, 68, 205, 74, 67, 204, 72, 66, 203, 70, 65,
    202, 69, 64, 201, 67, 64, 200, 65, 63, 199, 63, 62, 198, 61, 61, 197, 60, 60, 196, 58, 59,
    195, 56, 58, 194, 54, 58, 193, 52, 57, 192, 51, 56, 191, 49, 55, 190, 47, 54, 189, 45, 53,
    188, 44, 52, 188, 42, 52, 187, 40, 51, 186, 38, 50, 185, 36, 49, 184, 35, 48, 183, 33, 47,
    182, 31, 46, 181, 29, 46, 180, 28, 45, 179, 26, 44, 178, 24, 43,
  ]),
  sequential: new Uint8Array([
    68, 1, 84, 68, 2, 85, 68, 4, 86, 68, 5, 87, 68, 6, 88, 68, 8, 89, 68, 9, 90,
    68, 10, 91, 68, 11, 92, 67, 13, 93, 67, 14, 94, 67, 15, 95, 67, 17, 96, 67, 18, 97,
    67, 19, 98, 67, 21, 99, 67, 22, 100, 67, 23, 101, 67, 25, 102, 67, 26, 103, 67, 27, 104,
    67, 28, 105, 67, 30, 106, 67, 31, 107, 67, 32, 108, 67, 34, 109, 66, 35, 110, 66, 36, 111,
    66, 38, 112, 66, 39, 113, 66, 40, 114, 66, 42, 115, 66, 43, 116, 66, 44, 117, 66, 45, 118,
    66, 47, 119, 66, 48, 120, 66, 49, 121, 66, 51, 122, 66, 52, 123, 66, 53, 124, 66, 55, 125,
    66, 56, 126, 65, 57, 127, 65, 59, 128, 65, 60, 129, 65, 61, 130, 65, 63, 131, 65, 64, 132,
    65, 65, 133, 65, 66, 134, 65, 68, 135, 65, 69, 135, 64, 70, 135, 64, 71, 135, 63, 72, 136,
    63, 73, 136, 62, 74, 136, 62, 75, 136, 61, 76, 136, 61, 77, 136, 61, 78, 136, 60, 79, 136,
    60, 80, 137, 59, 81, 137, 59, 82, 137, 58, 83, 137, 58, 84, 137, 57, 85, 137, 57, 86, 137,
    57, 87, 138, 56, 88, 138, 56, 89, 138, 55, 90, 138, 55, 91, 138, 54, 92, 138, 54, 93, 138,
    53, 94, 139, 53, 95, 139, 53, 96, 139, 52, 97, 139, 52, 98, 139, 51, 99, 139, 51, 100, 139,
    50, 101, 139, 50, 102, 140, 49, 103, 140, 49, 104, 140, 48, 105, 140, 48, 106, 140, 48, 107, 140,
    47, 108, 140, 47, 109, 141, 46, 110, 141, 46, 111, 141, 45, 112, 141, 45, 114, 141, 44, 115, 141,
    44, 116, 141, 44, 117, 142, 43, 118, 142, 43, 119, 142, 42, 120, 142, 42, 121, 142, 42, 122, 142,
    42, 122, 141, 41, 123, 141, 41, 124, 141, 41, 125, 141, 41, 126, 141, 41, 127, 141, 41, 128, 140,
    40, 129, 140, 40, 130, 140, 40, 131, 140, 40, 132, 140, 40, 133, 139, 40, 134, 139, 40, 135, 139,
    39, 136, 139, 39, 136, 139, 39, 137, 138, 39, 138, 138, 39, 139, 138, 39, 140, 138, 38, 141, 138,
    38, 142, 137, 38, 143, 137, 38, 144, 137, 38, 145, 137, 38, 146, 137, 38, 147, 136, 37, 148, 136,
    37, 149, 136, 37, 150, 136, 37, 151, 136, 37, 151, 135, 37, 152, 135, 36, 153, 135, 36, 154, 135,
    36, 155, 135, 36, 156, 134, 36, 157, 134, 36, 158, 134, 36, 159, 134, 35, 160, 134, 35, 161, 133,
    35, 162, 133, 35, 163, 133, 35, 164, 133, 35, 165, 133, 34, 166, 133, 34, 166, 132, 34, 167, 132,
    35, 168, 132, 36, 169, 131, 38, 170, 130, 40, 171, 129, 42, 172, 128, 43, 172, 127, 45, 173, 126,
    47, 174, 125, 48, 175, 124, 50, 176, 123, 52, 176, 122, 54, 177, 121, 55, 178, 120, 57, 179, 119,
    59, 180, 118, 60, 180, 117, 62, 181, 116, 64, 182, 115, 66, 183, 114, 67, 184, 113, 69, 184, 112,
    71, 185, 111, 72, 186, 110, 74, 187, 109, 76, 188, 108, 78, 188, 107, 79, 189, 106, 81, 190, 105,
    83, 191, 104, 85, 192, 103, 86, 192, 102, 88, 193, 101, 90, 194, 100, 91, 195, 99, 93, 196, 98,
    95, 196, 97, 97, 197, 96, 98, 198, 95, 100, 199, 94, 102, 200, 93, 103, 200, 92, 105, 201, 91,
    107, 202, 90, 109, 203, 89, 110, 204, 88, 112, 204, 87, 114, 205, 86, 115, 206, 85, 117, 207, 84,
    119, 208, 83, 121, 208, 82, 123, 209, 81, 125, 210, 80, 128, 210, 79, 130, 210, 78, 133, 211, 77,
    135, 211, 77, 138, 212, 76, 140, 212, 75, 143, 213, 74, 146, 213, 73, 148, 213, 72, 151, 214, 71,
    153, 214, 71, 156, 215, 70, 158, 215, 69, 161, 216, 68, 163, 216, 67, 166, 216, 66, 169, 217, 65,
    171, 217, 64, 174, 218, 64, 176, 218, 63, 179, 219, 62, 181, 219, 61, 184, 219, 60, 186, 220, 59,
    189, 220, 58, 192, 221, 58, 194, 221, 57, 197, 222, 56, 199, 222, 55, 202, 222, 54, 204, 223, 53,
    207, 223, 52, 210, 224, 52, 212, 224, 51, 215, 225, 50, 217, 225, 49, 220, 225, 48, 222, 226, 47,
    225, 226, 46, 227, 227, 46, 230, 227, 45, 233, 228, 44, 235, 228, 43, 238, 228, 42, 240, 229, 41,
    243, 229, 40, 245, 230, 40, 248, 230, 39, 250, 231, 38, 253, 231, 37,
  ]),
};
// END LUTS

// The colours of demo/render.py: marker strips, the current step, the settled step.
const GUTTER = [128, 128, 128], ACCENT = [255, 140, 0], SETTLED = [0, 200, 120];
const LUT_LAST = 256;  // render.LUT_SIZE - 1
const f32 = Math.fround;

function rint(x) {  // numpy's rint: halves to even
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function lutIndex(x, kind, lim) {
  // render.colorize, step for step in float32 (numpy does the arithmetic in the array's dtype).
  if (Number.isNaN(x)) x = 0;  // nan_to_num
  const q = f32(f32(x) / f32(lim));
  const u = kind === "diverging" ? f32(f32(q + 1) * 0.5) : q;
  const k = rint(f32(u * LUT_LAST));
  return k < 0 ? 0 : k > LUT_LAST ? LUT_LAST : k;  // the colour's entry in the table
}

// render._dim: 60% of the way to GUTTER, truncated as numpy's astype(uint8) does.
const DIM = new Uint8Array(256);
for (let c = 0; c < 256; c++) DIM[c] = Math.trunc(c * (1 - 0.6) + 128 * 0.6);

let pixels = null, px32 = null;  // ImageData of the canvas (and a 32-bit view), kept while the size stays
let rampKey = "", ramp32 = null;  // the legend's ramp row, kept while map, range and width stay

// One RGBA pixel as the 32-bit word ImageData holds in this machine's byte order.
const PACK = new Uint8Array(4), PACKED = new Uint32Array(PACK.buffer);
function pack(r, g, b) {
  PACK[0] = r; PACK[1] = g; PACK[2] = b; PACK[3] = 255;
  return PACKED[0];
}
const GREY32 = pack(GUTTER[0], GUTTER[1], GUTTER[2]), ACCENT32 = pack(ACCENT[0], ACCENT[1], ACCENT[2]);
const SETTLED32 = pack(SETTLED[0], SETTLED[1], SETTLED[2]);
const SETTLED_DIM32 = pack(DIM[SETTLED[0]], DIM[SETTLED[1]], DIM[SETTLED[2]]);
// Each colour table's entries as packed pixels, plain and dimmed: one lookup per cell.
const PACKED_LUTS = {}, DIMMED_LUTS = {};
for (const name in LUTS) {
  const lut = LUTS[name], n = lut.length / 3;
  PACKED_LUTS[name] = new Uint32Array(n);
  DIMMED_LUTS[name] = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    PACKED_LUTS[name][k] = pack(lut[3 * k], lut[3 * k + 1], lut[3 * k + 2]);
    DIMMED_LUTS[name][k] = pack(DIM[lut[3 * k]], DIM[lut[3 * k + 1]], DIM[lut[3 * k + 2]]);
  }
}
let line32 = null;  // one row of cells of the grid, drawn once and copied to each of its pixel rows

// Text is slow to draw (fillText, in software on a machine without a GPU: ~11 ms of each pen-up's
// answers went to the confidence maps' row names): a gutter of row names, or a legend's band of
// labels, is drawn once on a canvas of its own, grey under white text as it would be here, kept
// for the page (every heatmap shares them), and copied at integer offsets: the same pixels.
const TEXT_BLOCKS = window.rnnLensHeatText || (window.rnnLensHeatText = new Map());
function textBlock(key, w, h, drawText) {
  let block = TEXT_BLOCKS.get(key);
  if (!block) {
    block = document.createElement("canvas");
    block.width = w;
    block.height = h;
    const g = block.getContext("2d");
    g.fillStyle = "rgb(" + GUTTER.join(",") + ")";
    g.fillRect(0, 0, w, h);
    g.fillStyle = "#ffffff";
    drawText(g);
    if (TEXT_BLOCKS.size >= 256) TEXT_BLOCKS.clear();  // legends' labels follow the data's range
    TEXT_BLOCKS.set(key, block);
  }
  return block;
}

function paint(x) {
  // Draw a "heat-v2" value at its natural size: render.with_legend(render.heatmap(...)), with
  // the gutter of render.label_rows when it has row names.
  const W = x.width, H = x.height;
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W;
    canvas.height = H;
    pixels = null;
  }
  const ctx = canvas.getContext("2d");
  if (!pixels) {
    pixels = ctx.createImageData(W, H);
    px32 = new Uint32Array(pixels.data.buffer);
  }
  const d = px32;
  d.fill(GREY32);
  const ch = x.cell_h, cw = x.cell_w, top = x.top, left = x.left, cols = x.cols;
  const plain = PACKED_LUTS[x.cmap], dimmed = DIMMED_LUTS[x.cmap], cmap = x.cmap, lim = x.lim;
  const t = x.t, settled = x.settled;
  const acc = Array.isArray(x.accent) ? pack(x.accent[0], x.accent[1], x.accent[2]) : ACCENT32;  // step t's marks
  const dimFrom = t != null && x.dim_future && t < cols ? t : cols;  // first dimmed column (0-based)
  const frameT = t != null && cw >= 6;  // wide columns: step t framed in orange too (render.heatmap)
  const line = settled != null ? (settled - 1) * cw : -1;  // grid px of the green settled line
  const gw = cols * cw;
  if (!line32 || line32.length !== gw) line32 = new Uint32Array(gw);
  for (let r = 0; r < x.rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = lutIndex(vals ? vals[r * cols + c] : NaN, cmap, lim);
      line32.fill(c >= dimFrom ? dimmed[k] : plain[k], c * cw, c * cw + cw);
    }
    if (line >= 0) line32[line] = Math.floor(line / cw) >= dimFrom ? SETTLED_DIM32 : SETTLED32;  // before the dimming
    if (frameT) line32[(t - 1) * cw] = line32[t * cw - 1] = acc;                                 // after it
    for (let dy = 0; dy < ch; dy++) d.set(line32, (top + r * ch + dy) * W + left);
  }
  // The step strip on top (render.step_strip): grey, the settled step's lower half green, t orange.
  const strip = x.strip;
  for (let y = 0; y < strip; y++) {
    if (settled != null && y >= Math.floor(strip / 2)) d.fill(SETTLED32, y * W + left + line, y * W + left + line + cw);
    if (t != null) d.fill(acc, y * W + left + (t - 1) * cw, y * W + left + t * cw);
  }
  const lg = x.legend;
  if (lg) {  // render.colour_legend: the colours of np.linspace(lo, lim, W) across the whole width
    const key = x.cmap + " " + x.lim + " " + W;
    if (key !== rampKey) {
      const lo = x.cmap === "diverging" ? -x.lim : 0, step = (x.lim - lo) / (W - 1);
      ramp32 = new Uint32Array(W);
      for (let px = 0; px < W; px++) {
        ramp32[px] = plain[lutIndex(px === W - 1 ? x.lim : px * step + lo, x.cmap, x.lim)];
      }
      rampKey = key;
    }
    for (let y = lg.top; y < lg.top + lg.ramp; y++) d.set(ramp32, y * W);
  }
  ctx.putImageData(pixels, 0, 0);
  // Text, white on the grey: row names in the gutter, the legend's labels.
  if (Array.isArray(x.row_names) && left > 0 && top + x.rows * ch > 0) {
    const names = x.row_names.map(String), gh = top + x.rows * ch;
    const key = ["g", x.font, left, top, ch, x.rows, names.join("\u0001")].join("|");
    ctx.drawImage(textBlock(key, left, gh, (g) => {
      g.font = x.font + "px sans-serif";
      g.textAlign = "center";
      g.textBaseline = "middle";
      names.forEach((name, r) => g.fillText(name, left / 2, top + r * ch + ch / 2));
    }), 0, 0);
  }
  if (lg && lg.height > lg.ramp) {
    const band = lg.height - lg.ramp, lo = String(lg.lo), hi = String(lg.hi), mid = lg.mid ? String(lg.mid) : "";
    ctx.drawImage(textBlock(["l", W, band, lo, mid, hi].join("|"), W, band, (g) => {
      const y = band / 2;
      g.font = "9px sans-serif";
      g.textBaseline = "middle";
      g.textAlign = "left";
      g.fillText(lo, 1, y);
      g.textAlign = "right";
      g.fillText(hi, W - 1, y);
      if (mid) { g.textAlign = "center"; g.fillText(mid, W / 2, y); }
    }), 0, lg.top + lg.ramp);
  }
  draws++;
}

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

function validSteps(x) {
  const step = (s) => s == null || (Number.isInteger(s) && s >= 1 && s <= x.cols);
  return step(x.t) && step(x.settled);
}

function valid(x) {
  if (!x || typeof x !== "object") return false;
  if (x.format === "heat-v1") {
    if (typeof x.src !== "string" || !x.src.startsWith("data:image/")) return false;
  } else if (x.format === "heat-v2") {
    if (!Object.prototype.hasOwnProperty.call(LUTS, x.cmap) || !(Number.isFinite(x.lim) && x.lim > 0)) return false;
    if (!Number.isInteger(x.strip) || x.strip < 0 || x.strip > x.top || !validSteps(x)) return false;
    if (x.row_names != null && !(Array.isArray(x.row_names) && x.row_names.length === x.rows)) return false;
    if (x.col_names != null && !(Array.isArray(x.col_names) && x.col_names.length === x.cols)) return false;
    if (x.accent != null && !(Array.isArray(x.accent) && x.accent.length === 3 &&
        x.accent.every((c) => Number.isInteger(c) && c >= 0 && c <= 255))) return false;
    const lg = x.legend;
    if (lg != null && !(Number.isInteger(lg.top) && Number.isInteger(lg.ramp) && Number.isInteger(lg.height) &&
        lg.top >= 0 && lg.ramp >= 0 && lg.top + lg.height <= x.height)) return false;
  } else {
    return false;
  }
  const ints = ["width", "height", "top", "left", "cell_h", "cell_w", "rows", "cols"];
  if (!ints.every((k) => Number.isInteger(x[k]) && x[k] >= 0)) return false;
  if (x.format === "heat-v2" && (x.left + x.cols * x.cell_w > x.width || x.top + x.rows * x.cell_h > x.height ||
      x.width > 8192 || x.height > 8192)) return false;
  return x.rows > 0 && x.cols > 0 && x.cell_h > 0 && x.cell_w > 0 && x.width > 0 && x.height > 0;
}

function fmt(x) {
  // NaN: the value's own word for it (render.hover_value's ``missing``, in the page's language)
  if (!Number.isFinite(x)) return Number.isNaN(x) ? (v && v.missing ? String(v.missing) : "n/a") : (x > 0 ? "+inf" : "\u2212inf");
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
      colId(c.col) + (Array.isArray(v.col_names) ? " \u00b7 " + String(v.col_names[c.col]) : "") + " \u00b7 " +
      (v.what || "h") + " = " + fmt(value),
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
  // A caption inside the value (it changes with the data, e.g. "GRU: 7 (99%), settled at row
  // 13") replaces the label, so Python can send plain values instead of gr.update(label=...).
  if (typeof x.caption === "string") { caption.textContent = x.caption; img.alt = x.caption; }
  fit();
  if (x.format === "heat-v2") {
    paint(x);
    canvas.hidden = false;
    img.hidden = true;
    img.removeAttribute("src");
  } else {
    if (img.getAttribute("src") !== x.src) img.src = x.src;  // the old picture stays until this decodes
    img.hidden = false;
    canvas.hidden = true;
  }
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
const setLabel = () => {  // gr.update(label=...) from Python: the caption and the alt text follow
  const text = props.label == null ? "" : String(props.label);
  caption.textContent = text;
  img.alt = text;
  canvas.setAttribute("aria-label", text);
};
watch("label", setLabel);
// A map first shown by an update (visible=True with a new label) mounts with that label already
// set, so no watch fires for it: read it once now.
setLabel();
load(props.value);
// Read-only view for tests and debugging (document.querySelector(".rl-heat").rlHeat).
root.rlHeat = { value: () => v, updates: () => updates, selects: () => selects, draws: () => draws,
  at: (row, col) => (vals && v ? vals[row * v.cols + col] : undefined) };
root.dataset.ready = "true";
