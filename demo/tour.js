// RNN Lens guided tour: the body of gr.HTML's js_on_load (demo/ui_tour.py).  Gradio runs it once
// with element (the component's root), props (props.value: the "tour-v1" dict made by
// demo.ui_tour.tour_value; props.tour_css: demo/tour.css) and watch.
//
// The steps come from demo/lessons/tour.json.  A step selects its tab, highlights its target (a
// box over it whose shadow dims the rest of the page; clicks go through, so the learner can do
// what the step asks), scrolls it into view and checks its "done" condition four times a
// second: when it becomes true the tour says so and moves on.  Next, Back and Leave (or Escape)
// work at any time.  Conditions: see demo.lessons.check_condition.  A step may first choose
// radios ("choose", from its link: the Text tab's corpus): the tour clicks the value's input as a
// learner would; when the page puts the radio back (that corpus's model is missing) the tour
// says so and highlights the radio, beside which the page's note says how to make the model.
const root = element.querySelector(".rl-tour");
const startBtn = root.querySelector(".rl-tour-start");
const status = root.querySelector(".rl-tour-status");
const POLL_MS = 250;
const ADVANCE_MS = 1200;     // "Done" shows this long before the next step
const MISSING_MS = 2000;     // a target absent this long: say so
const REFUSED_MS = 400;      // a chosen radio unchecked this long after its click: the page refused it
const EVENTS = ["click", "input", "change", "pointerover", "pointerdown"];

if (!document.getElementById("rl-tour-style")) {
  const style = document.createElement("style");
  style.id = "rl-tour-style";
  style.textContent = String(props.tour_css || "");
  document.head.appendChild(style);
}

const layer = document.createElement("div");
layer.className = "rl-tour-layer";
layer.hidden = true;
layer.innerHTML =
  '<div class="rl-tour-spot" hidden></div>' +
  '<div class="rl-tour-card" role="dialog" aria-modal="false">' +
  '<p class="rl-tour-count"></p><h2 class="rl-tour-title"></h2><p class="rl-tour-body"></p>' +
  '<p class="rl-tour-note" role="status" aria-live="polite"></p>' +
  '<div class="rl-tour-buttons">' +
  '<button type="button" data-act="leave"></button>' +
  '<button type="button" data-act="back"></button>' +
  '<button type="button" data-act="next"></button></div></div>';
document.body.appendChild(layer);
const spot = layer.querySelector(".rl-tour-spot");
const card = layer.querySelector(".rl-tour-card");
const el = (c) => card.querySelector(c);
const btn = (a) => card.querySelector('button[data-act="' + a + '"]');

let cfg = null;          // the tour-v1 value
let lang = "en";
let steps = [];
let k = -1;              // current step, -1: not running
let seen = {};           // condition key -> the first value seen during this step
let happened = new Set();  // event conditions that happened during this step
let metAtStart = false;  // the condition held as the step began: no auto-advance
let done = false;
let shownAt = 0;
let poller = null;
let advance = null;
let noteKind = null;   // what the note says: "already", "done", "missing", "unavailable" or null
let choices = [];      // the step's radios to choose: {radio, value, clicked (ms or null), refused}

function words() {
  const ui = (cfg && cfg.ui) || {};
  return ui[lang] || ui.en || {};
}

function pickLang() {
  // The value's language, else ?lang= in the URL, else the browser's.
  const known = cfg && cfg.ui ? Object.keys(cfg.ui) : ["en"];
  const norm = (v) => {
    if (!v) return null;
    const s = String(v).toLowerCase().replace("_", "-");
    if (s.startsWith("zh")) return known.includes("zh-CN") ? "zh-CN" : null;
    if (s.startsWith("en")) return "en";
    return known.find((x) => x.toLowerCase() === s) || null;
  };
  let fromUrl = null;
  try { fromUrl = new URLSearchParams(window.location.search).get("lang"); } catch (_) { /* no URL */ }
  const browser = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language];
  return norm(cfg && cfg.lang) || norm(fromUrl) || browser.map(norm).find((x) => x) || "en";
}

function text(step) {
  return step[lang] || step.en || { title: "", body: "" };
}

function fill(template, vars) {
  return String(template || "").replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

function find(selector) {
  // The first match that is not part of the tour itself; null for none or a bad selector.
  let all;
  try { all = document.querySelectorAll(selector); } catch (_) { return null; }
  for (const n of all) if (!layer.contains(n) && !root.contains(n)) return n;
  return null;
}

function visible(n) {
  if (!n) return false;
  const r = n.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}

function tabButton(name) {
  const byId = document.getElementById("tab-" + name + "-button");
  if (byId) return byId;
  const labels = Object.values((cfg && cfg.tabs && cfg.tabs[name]) || {}).map((s) => String(s).trim());
  for (const b of document.querySelectorAll('[role="tab"]')) {
    if (labels.includes((b.textContent || "").trim())) return b;
  }
  return null;
}

function tabSelected(name) {
  const b = tabButton(name);
  return !!b && (b.getAttribute("aria-selected") === "true" || b.classList.contains("selected"));
}

function keyOf(c) {
  return JSON.stringify(c);
}

function check(c) {
  if (!c || typeof c !== "object") return false;
  if (Array.isArray(c.all)) return c.all.every(check);
  if (Array.isArray(c.any)) return c.any.some(check);
  if ("exists" in c) return !!find(c.exists);
  if ("tab" in c) return tabSelected(c.tab);
  if ("event" in c) return happened.has(keyOf(c));
  const n = find("text" in c ? c.text : c.value);
  if (!n) return false;
  const v = "text" in c ? (n.textContent || "").trim() : String(n.value == null ? "" : n.value);
  const key = keyOf(c);
  if (!(key in seen)) seen[key] = v;
  if (c.nonempty && !v.trim()) return false;
  if ("equals" in c && v.trim() !== String(c.equals)) return false;
  if ("pattern" in c) {
    let re;
    try { re = new RegExp(c.pattern, "i"); } catch (_) { return false; }
    if (!re.test(v)) return false;
  }
  if (c.changed && v === seen[key]) return false;
  return true;
}

function eventConditions(c, out) {
  if (!c || typeof c !== "object") return out;
  if (Array.isArray(c.all)) c.all.forEach((x) => eventConditions(x, out));
  if (Array.isArray(c.any)) c.any.forEach((x) => eventConditions(x, out));
  if ("event" in c) out.push(c);
  return out;
}

function onEvent(e) {
  if (k < 0 || !(e.target instanceof Element) || layer.contains(e.target)) return;
  for (const c of eventConditions(steps[k].done, [])) {
    if (c.event !== e.type) continue;
    let hit = null;
    try { hit = e.target.closest(c.on); } catch (_) { hit = null; }
    if (hit) happened.add(keyOf(c));
  }
}
EVENTS.forEach((type) => document.addEventListener(type, onEvent, true));

function note(message, kind) {
  el(".rl-tour-note").textContent = message || "";
  noteKind = message ? kind : null;
}

function choiceInput(c) {
  return find(c.radio + " input[type='radio'][value='" + String(c.value).replace(/['\\]/g, "") + "']");
}

function choose() {
  // Click each choice once its input is on the page (after a tab switch gradio renders the tab
  // first); a choice clicked but unchecked again later was refused by the page.
  for (const c of choices) {
    const input = choiceInput(c);
    if (!input) continue;
    if (c.clicked === null) {
      c.clicked = input.checked ? -1 : performance.now();
      if (!input.checked) input.click();
    } else if (c.clicked >= 0 && !c.refused && !input.checked && performance.now() - c.clicked > REFUSED_MS) {
      c.refused = true;
      if (!done) note(words().unavailable, "unavailable");
    }
  }
}

function place() {
  // Move the highlight over the target (a refused choice: its radio) and keep the card clear of it.
  if (k < 0) return;
  const refused = choices.find((c) => c.refused);
  const target = refused ? find(refused.radio) : find(steps[k].target);
  if (!visible(target)) {
    spot.hidden = true;
    layer.classList.add("is-missing");
    if (!done && noteKind !== "missing" && performance.now() - shownAt > MISSING_MS) note(words().missing, "missing");
    return;
  }
  layer.classList.remove("is-missing");
  if (noteKind === "missing") note("", null);
  const r = target.getBoundingClientRect();
  const pad = 6;
  spot.hidden = false;
  spot.style.top = (r.top - pad) + "px";
  spot.style.left = (r.left - pad) + "px";
  spot.style.width = (r.width + 2 * pad) + "px";
  spot.style.height = (r.height + 2 * pad) + "px";
  // The card sits at the bottom, or at the top while the target is in the lower half.
  card.classList.toggle("at-top", (r.top + r.bottom) / 2 > window.innerHeight / 2);
  target.dataset.rlTourTarget = "true";
}

function scrollToTarget() {
  const refused = choices.find((c) => c.refused);
  const target = refused ? find(refused.radio) : find(steps[k].target);
  if (visible(target)) target.scrollIntoView({ block: "center", inline: "nearest", behavior: "auto" });
}

function tick() {
  if (k < 0) return;
  const refusedBefore = choices.some((c) => c.refused);
  choose();
  if (!refusedBefore && choices.some((c) => c.refused)) scrollToTarget();
  place();
  const met = check(steps[k].done);
  if (met && !metAtStart && !done) {
    done = true;
    card.classList.add("is-done");
    note(words().done, "done");
    layer.dataset.done = "true";
    advance = setTimeout(() => go(k + 1), ADVANCE_MS);
  }
}

function clearTarget() {
  document.querySelectorAll("[data-rl-tour-target]").forEach((n) => { delete n.dataset.rlTourTarget; });
}

function render() {
  const w = words();
  const s = steps[k];
  const t = text(s);
  el(".rl-tour-count").textContent = fill(w.step, { n: k + 1, total: steps.length });
  el(".rl-tour-title").textContent = t.title;
  el(".rl-tour-body").textContent = t.body;
  card.setAttribute("aria-label", (w.label || "") + ": " + t.title);
  btn("leave").textContent = w.leave || "Leave";
  btn("back").textContent = w.back || "Back";
  btn("back").disabled = k === 0;
  btn("next").textContent = k === steps.length - 1 ? (w.finish || "Finish") : (w.next || "Next");
}

function go(i) {
  clearTimeout(advance);
  advance = null;
  if (i >= steps.length) { leave(true); return; }
  if (i < 0) i = 0;
  k = i;
  seen = {};
  happened = new Set();
  metAtStart = false;
  done = false;
  shownAt = performance.now();
  choices = (steps[i].choose || []).map((c) => ({ radio: c.radio, value: c.value, clicked: null, refused: false }));
  card.classList.remove("is-done");
  note("", null);
  clearTarget();
  const s = steps[k];
  if (s.tab && !tabSelected(s.tab)) {
    const b = tabButton(s.tab);
    if (b) b.click();
  }
  layer.hidden = false;
  layer.dataset.step = s.id;
  layer.dataset.index = String(k);
  layer.dataset.lang = lang;
  delete layer.dataset.done;
  render();
  // Already true as the step begins (the digit was drawn before): say so, and wait for Next.
  metAtStart = check(s.done);
  if (metAtStart) note(words().already, "already");
  choose();
  // After a tab switch gradio renders the tab's content first: scroll once it is there.
  setTimeout(() => { if (k === i) { scrollToTarget(); place(); } }, 120);
  place();
}

function begin() {
  if (!cfg || !Array.isArray(cfg.steps) || !cfg.steps.length) return;
  lang = pickLang();
  steps = cfg.steps;
  status.textContent = "";
  clearInterval(poller);
  poller = setInterval(tick, POLL_MS);
  go(0);
  btn("next").focus({ preventScroll: true });
}

function leave(finished) {
  clearTimeout(advance);
  clearInterval(poller);
  poller = null;
  k = -1;
  layer.hidden = true;
  spot.hidden = true;
  clearTarget();
  delete layer.dataset.step;
  status.textContent = finished ? (words().finished || "") : "";
  root.dataset.finished = finished ? "true" : "false";
  startBtn.focus({ preventScroll: true });
}

card.addEventListener("click", (e) => {
  const b = e.target.closest("button[data-act]");
  if (!b || k < 0) return;
  if (b.dataset.act === "next") go(k + 1);
  else if (b.dataset.act === "back") go(k - 1);
  else if (b.dataset.act === "leave") leave(false);
});
document.addEventListener("keydown", (e) => {
  if (k >= 0 && e.key === "Escape") leave(false);
});
startBtn.addEventListener("click", begin);
window.addEventListener("resize", place);
window.addEventListener("scroll", place, true);

function load() {
  const v = props.value;
  cfg = v && typeof v === "object" && v.format === "tour-v1" ? v : null;
  lang = pickLang();
  startBtn.textContent = words().start || "Take the tour";
  startBtn.disabled = !cfg || !cfg.steps || !cfg.steps.length;
  root.dataset.lang = lang;
  if (k >= 0) {
    if (!cfg) { leave(false); return; }
    steps = cfg.steps;
    if (k >= steps.length) { leave(false); return; }
    render();
  } else if (cfg && cfg.start) {
    begin();
  }
}

watch("value", load);
load();
// Read-only view for tests and debugging (document.querySelector(".rl-tour").rlTour).
root.rlTour = { step: () => k, id: () => (k >= 0 ? steps[k].id : null), lang: () => lang,
  count: () => steps.length, done: () => done, refused: () => choices.filter((c) => c.refused).map((c) => c.value) };
root.dataset.ready = "true";
