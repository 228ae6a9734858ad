#if Dashboard
/// The dashboard page: plain HTML, CSS and a little hand-written JavaScript; no CDN, no external
/// file, so it works offline. Charts are SVG drawn by the script; data arrives over one WebSocket.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sculpt live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1d; background: #fafafa; }
header { display: flex; gap: 1em; align-items: center; padding: .6em 1em; background: #243447; color: #fff; }
header h1 { font-size: 1.1em; margin: 0; }
#state { padding: .1em .6em; border-radius: 1em; background: #0072b2; }
#state.paused { background: #e69f00; color: #000; } #state.finished, #state.stopping { background: #666; }
#connection.down { color: #ffb3b3; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; padding: 1em; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6em .8em; min-width: 0; }
section.wide { grid-column: 1 / 3; }
h2 { font-size: 1em; margin: .2em 0 .5em; }
svg.chart { width: 100%; height: 240px; }
svg.chart text { font-size: 11px; fill: #333; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: .15em .5em; border-bottom: 1px solid #eee; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th.sortable { cursor: pointer; text-decoration: underline dotted; }
tr.selected { background: #e8f1fb; }
.scroll { max-height: 320px; overflow: auto; }
form label { display: inline-block; margin: .2em .8em .2em 0; }
input[type=number] { width: 6em; }
#preview { margin-top: .4em; min-height: 1.4em; }
#message { padding: .3em 1em; min-height: 1.2em; }
#message.error { color: #b00020; } #message.ok { color: #006d2c; }
.legend span { margin-right: 1em; }
.swatch { display: inline-block; width: 1em; height: 3px; vertical-align: middle; margin-right: .3em; }
button { margin-right: .4em; }
.note { color: #666; margin: .3em 0 0; font-size: .9em; }
td.stale { color: #999; }
.units { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr) minmax(0, 2fr); gap: 1em; }
figure.heat { margin: 0; } figure.heat figcaption { font-size: .9em; color: #444; }
figure.heat svg { width: 100%; height: 320px; display: block; }
.scale { font-size: .85em; } .scale span { margin: 0 .4em; }
.ramp { display: inline-block; width: 8em; height: .8em; vertical-align: middle; }
.ramp.seq { background: linear-gradient(to right, #440154, #3b528b, #21918c, #5ec962, #fde725); }
.ramp.div { background: linear-gradient(to right, #2166ac, #f7f7f7, #b2182b); }
</style>
</head>
<body>
<header>
  <h1>Sculpt live: <span id="run">connecting</span></h1>
  <span id="state">-</span>
  <span id="progress">epoch - / -</span>
  <span id="connection">connecting</span>
  <span style="flex:1"></span>
  <button id="pause-button" type="button" aria-label="Pause training between batches">Pause</button>
  <button id="resume-button" type="button" aria-label="Resume training">Resume</button>
  <button id="stop-button" type="button" aria-label="Stop after the current batch and save a resumable checkpoint">Stop (after this batch)</button>
</header>
<div id="message" role="status"></div>
<noscript><p>This page needs JavaScript to receive the run's data.</p></noscript>
<main>
<section>
  <h2>Loss</h2>
  <label for="smoothing">Smoothing of the batch curve</label>
  <input id="smoothing" type="range" min="0" max="0.99" step="0.01" value="0.9">
  <svg id="loss-chart" class="chart" role="img" aria-label="Training loss per batch and validation loss per epoch, with operations"></svg>
  <div class="legend"><span><i class="swatch" style="background:#0072b2"></i>training (batches, smoothed)</span>
  <span><i class="swatch" style="background:#cc79a7"></i>training (epoch mean)</span>
  <span class="validation-key" hidden><i class="swatch" style="background:#d55e00"></i>validation (epochs)</span>
  <span><i class="swatch" style="background:#009e73"></i>operation (loss factor)</span></div>
</section>
<section>
  <h2>Accuracy</h2>
  <svg id="accuracy-chart" class="chart" role="img" aria-label="Training accuracy per batch and validation accuracy per epoch"></svg>
  <div class="legend"><span><i class="swatch" style="background:#0072b2"></i>training (batches, smoothed)</span>
  <span><i class="swatch" style="background:#cc79a7"></i>training (epoch mean)</span>
  <span class="validation-key" hidden><i class="swatch" style="background:#d55e00"></i>validation (epochs)</span></div>
</section>
<section class="wide">
  <h2>Layers</h2>
  <div class="scroll"><table id="layers-table">
    <thead><tr><th>Layer</th><th>Path</th><th>Width</th><th>Parameters</th><th>Frozen units</th>
    <th title="largest singular values; a convolution's kernel positions pooled, as WeightWatcher">Singular values</th>
    <th>Stable rank</th><th title="power-law exponent of the eigenvalue density's tail (Martin and Mahoney 2018)">Alpha</th>
    </tr></thead><tbody></tbody></table></div>
  <p class="note">Spectra are analysed off the training thread at each epoch end and after each operation;
  grey values are from the previous analysis.</p>
</section>
<section class="wide">
  <h2>Operate on a layer</h2>
  <form id="operation-form" onsubmit="return false">
    <label>Layer <select id="layer-select" name="layer"></select></label>
    <label>Operation <select id="op-select" name="operation">
      <option value="eigenremove">EigenRemove (shrink)</option>
      <option value="minweight">Minimum Weight (shrink)</option>
      <option value="expand">WeakExpand (grow)</option>
      <option value="zero-expand">ZeroExpand (grow)</option>
      <option value="reinit">Restart units (reinit)</option>
      <option value="freeze">Freeze</option>
      <option value="unfreeze">Unfreeze</option>
    </select></label><br>
    <label>New width <input id="op-to" type="number" min="1" step="1"></label>
    <label>or fraction <input id="op-fraction" type="number" min="0" step="0.01" placeholder="e.g. 0.25"></label>
    <label>Rank ratio (EigenRemove) <input id="op-rank" type="number" min="0.001" max="1" step="0.001" value="0.125"></label><br>
    <button id="preview-button" type="button">Preview</button>
    <button id="apply-button" type="button" disabled>Apply between the next batches</button>
    <div id="preview" aria-live="polite"></div>
  </form>
  <p style="color:#666">Freeze/unfreeze without width or fraction act on the whole layer; reinit and
  freeze with a fraction pick the units with the smallest incoming norms.</p>
</section>
<section class="wide">
  <h2>Units of the selected layer <button id="units-button" type="button">Measure units</button>
  <span id="units-layer"></span></h2>
  <div class="units">
  <div class="scroll"><table id="units-table"><thead><tr>
    <th class="sortable" data-key="unit">Unit</th><th class="sortable" data-key="incomingL2">Incoming L2</th>
    <th class="sortable" data-key="outgoingL2">Outgoing L2</th><th class="sortable" data-key="taylor">Taylor</th>
    <th class="sortable" data-key="lossRatio">Ablation loss ratio</th><th class="sortable" data-key="zeroFraction">APoZ</th>
    <th class="sortable" data-key="redundancyGroup">Redundancy group</th></tr></thead><tbody></tbody></table></div>
  <figure class="heat"><figcaption>Heat map (rows: units in the table's order; each column scaled from its
    lowest to its highest value)</figcaption>
    <svg id="units-heat" role="img" aria-label="heat map of the unit measures"></svg>
    <div class="scale"><span>lowest</span><i class="ramp seq"></i><span>highest</span>
    <span>redundancy group: one colour per group, white: none</span></div>
  </figure>
  <figure class="heat"><figcaption id="weights-caption">Incoming weights of each unit</figcaption>
    <svg id="weights-heat" role="img" aria-label="heat map of the units' incoming weights"></svg>
    <div class="scale"><span id="weights-low">-</span><i class="ramp div"></i><span id="weights-high">+</span></div>
  </figure>
  </div>
</section>
<section class="wide">
  <h2>History of operations</h2>
  <div class="scroll"><table id="history-table"><thead><tr><th>Operation</th><th>Who</th><th>After epoch</th><th>+ batches</th>
    <th>Width</th><th>Parameters</th><th>Immediate loss factor</th><th>Outcome</th></tr></thead><tbody></tbody></table></div>
</section>
</main>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const model = { run: "", state: "", epochs: 0, points: [], reports: [], operations: [], layers: [], units: null,
  selected: null, sortKey: "unit", sortDown: false, previewed: null };
window.sculpt = model;
let socket = null;
const $ = (id) => document.getElementById(id);
function say(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }
function fmt(x, d) { return (x === null || x === undefined || x === "nan") ? "-" : (typeof x === "number" ? x.toFixed(d) : x); }
function send(object) {
  if (!socket || socket.readyState !== 1) { say("not connected", "error"); return; }
  socket.send(JSON.stringify(object));
}
function connect() {
  socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?token=" + encodeURIComponent(token));
  socket.onopen = () => { $("connection").textContent = "live"; $("connection").className = ""; };
  socket.onclose = () => { $("connection").textContent = "disconnected (run ended or server gone)"; $("connection").className = "down"; };
  socket.onmessage = (e) => receive(JSON.parse(e.data));
}
function receive(m) {
  switch (m.type) {
  case "snapshot": Object.assign(model, { run: m.run, state: m.state, epochs: m.epochs, points: m.points,
    reports: m.reports, operations: m.operations, layers: m.layers }); drawAll(); break;
  case "batches": for (const p of m.points) model.points.push(p); thinPoints(); scheduleCharts(); break;
  case "epoch": model.reports.push(m); scheduleCharts(); break;
  case "operation": model.operations.push(m); drawCharts(); drawHistory(); break;
  case "state": model.state = m.state; drawHeader(); break;
  case "length": model.epochs = Number(m.epochs); drawHeader(); break;
  case "layers": model.layers = m.layers; drawLayers(); break;
  case "units": model.units = m.units; model.weights = m.weights || null; drawUnits(); say("units of " + m.units.layer + " measured on the probe batch", "ok"); break;
  case "preview": showPreview(m.preview); break;
  case "ack": say("acknowledged and saved as request " + m.id + ": " + m.text + " (applied between the next batches)", "ok"); break;
  case "error": say(m.message, "error"); if (model.previewed) { $("apply-button").disabled = true; } break;
  }
}
// The page's cost must not grow with the run: it keeps at most maxPoints batch points (every other
// one dropped when full, as the server does), plots at most plotPoints per curve, and redraws the
// charts at most every 2 s (the browser often shares the training machine's cores).
const maxPoints = 4000, plotPoints = 600, chartInterval = 2000;
model.drawMs = 0; model.draws = 0;
function thinPoints() { if (model.points.length > maxPoints) model.points = model.points.filter((_, i) => i % 2 === 1); }
let chartTimer = null;
function scheduleCharts() {
  if (chartTimer) return;
  chartTimer = setTimeout(() => { chartTimer = null; drawCharts(); drawHeader(); }, chartInterval);
}
function decimate(points) {
  if (points.length <= plotPoints) return points;
  const out = [], step = points.length / plotPoints;
  for (let k = 0; k < plotPoints; k++) {
    const a = Math.floor(k * step), b = Math.floor((k + 1) * step); let x = 0, y = 0, n = 0;
    for (let i = a; i < b; i++) { const p = points[i]; if (p[1] !== null && isFinite(p[1])) { x += p[0]; y += p[1]; n++; } }
    if (n) out.push([x / n, y / n]);
  }
  return out;
}
function drawAll() { drawHeader(); drawCharts(); drawLayers(); drawHistory(); drawUnits(); }
function drawHeader() {
  $("run").textContent = model.run; $("state").textContent = model.state; $("state").className = model.state;
  const last = model.points[model.points.length - 1];
  $("progress").textContent = "epoch " + (last ? last.x.toFixed(2) : "0") + " / " + model.epochs;
}
function smooth(values) {
  const a = Number($("smoothing").value); let s = null;
  return values.map(v => (v === null || v === undefined) ? null : (s = (s === null ? v : a * s + (1 - a) * v)));
}
// Chart sizes are read once (and on resize): reading them after a redraw would force a layout.
const sizes = new Map();
function sizeOf(svg) {
  if (!sizes.has(svg)) sizes.set(svg, [svg.clientWidth || 500, svg.clientHeight || 240]);
  return sizes.get(svg);
}
// Ticks at 1, 2 or 5 times a power of ten, the range widened to whole ticks (SculptVisual's NiceTicks.linear,
// which draws the static figures).
function niceTicks(lo, hi, target) {
  if (!(hi > lo)) { const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= pad; hi += pad; }
  const rough = (hi - lo) / target, magnitude = Math.pow(10, Math.floor(Math.log10(rough))), residual = rough / magnitude;
  const step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude;
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)), values = [];
  for (let k = first; k <= last; k++) values.push(Number((k * step).toFixed(decimals)));
  return { lo: values[0], hi: values[values.length - 1], values, label: v => v.toFixed(decimals) };
}
function chart(svg, series, marks, yLabel) {
  const [w, h] = sizeOf(svg), l = 52, r = 16, t = 10, b = 30;
  let xMax = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) for (const p of s.points) if (p[1] !== null && isFinite(p[1])) {
    xMax = Math.max(xMax, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]); }
  let out = "";
  if (xMax > -Infinity) {
    // Tick elements carry their values (data-value) so a test can check that the data land where the axes say.
    const xt = niceTicks(0, Math.max(xMax, 0.25), 6), yt = niceTicks(y0, y1, 5);
    const X = x => l + (x - xt.lo) / (xt.hi - xt.lo) * (w - l - r), Y = y => t + (1 - (y - yt.lo) / (yt.hi - yt.lo)) * (h - t - b);
    for (const y of yt.values)
      out += `<line class="grid-y" data-value="${y}" x1="${l}" x2="${w - r}" y1="${Y(y)}" y2="${Y(y)}" stroke="#eee"/><text x="${l - 4}" y="${Y(y) + 4}" text-anchor="end">${yt.label(y)}</text>`;
    for (const x of xt.values)
      out += `<text class="tick-x" data-value="${x}" x="${X(x)}" y="${h - b + 14}" text-anchor="middle">${xt.label(x)}</text>`;
    for (const m of marks) out += `<line x1="${X(m.x)}" x2="${X(m.x)}" y1="${t}" y2="${h - b}" stroke="#009e73" stroke-dasharray="4 3"/>`
      + `<text x="${X(m.x) + 3}" y="${t + 10}" fill="#009e73">${m.label}</text>`;
    for (const s of series) {
      const pts = s.points.filter(p => p[1] !== null && isFinite(p[1])).map(p => X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1));
      if (s.dots) out += pts.map(q => `<circle cx="${q.split(",")[0]}" cy="${q.split(",")[1]}" r="3" fill="${s.color}"/>`).join("");
      else out += `<polyline fill="none" stroke="${s.color}" stroke-width="${s.width || 1.5}" opacity="${s.opacity || 1}" points="${pts.join(" ")}"/>`;
    }
  }
  out += `<text x="${(w + l) / 2}" y="${h - 2}" text-anchor="middle">epoch</text>`
    + `<text transform="translate(12 ${h / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`;
  svg.innerHTML = out;
}
function operationX(o) {
  if (o.batch === null || o.batch === undefined) return o.epoch;
  const p = model.points.find(p => p.x > o.epoch); const batches = p ? Math.round(1 / ((p.x - o.epoch) || 1)) : 1;
  return o.epoch + o.batch / Math.max(batches, 1);
}
function drawCharts() {
  const started = performance.now();
  const applied = model.operations.filter(o => o.plan);
  const marks = applied.map(o => ({ x: operationX(o), label: o.text.split(":").slice(0, 2).join(":") + " x" + fmt(o.lossAfter / o.lossBefore, 2) }));
  const xs = model.points.map(p => p.x);
  const loss = smooth(model.points.map(p => p.loss)), acc = smooth(model.points.map(p => p.accuracy));
  chart($("loss-chart"), [
    { points: decimate(model.points.map(p => [p.x, p.loss])), color: "#0072b2", opacity: 0.2, width: 1 },
    { points: decimate(xs.map((x, i) => [x, loss[i]])), color: "#0072b2" },
    { points: model.reports.map(r => [r.epoch, r.loss]), color: "#cc79a7", dots: true },
    { points: model.reports.map(r => [r.epoch, r.validationLoss ?? null]), color: "#d55e00", dots: true }], marks, "loss");
  chart($("accuracy-chart"), [
    { points: decimate(xs.map((x, i) => [x, acc[i]])), color: "#0072b2" },
    { points: model.reports.map(r => [r.epoch, r.accuracy ?? null]), color: "#cc79a7", dots: true },
    { points: model.reports.map(r => [r.epoch, r.validationAccuracy ?? null]), color: "#d55e00", dots: true }], marks, "accuracy");
  // The validation key shows once a validation figure exists (a run without a held-out split has none).
  const validated = model.reports.some(r => (r.validationLoss ?? null) !== null || (r.validationAccuracy ?? null) !== null);
  for (const key of document.querySelectorAll(".validation-key")) key.hidden = !validated;
  model.drawMs += performance.now() - started; model.draws += 1;
}
function spectrum(values) {
  if (!values.length) return "";
  const top = values[0] || 1, bw = 80 / values.length;
  return `<svg width="82" height="22" role="img" aria-label="singular values">` + values.map((v, i) =>
    `<rect x="${(i * bw).toFixed(1)}" y="${(21 - 20 * v / top).toFixed(1)}" width="${Math.max(bw - 0.5, 0.5).toFixed(1)}" height="${(20 * v / top).toFixed(1)}" fill="#56b4e9"/>`).join("") + "</svg>";
}
function drawLayers() {
  const body = $("layers-table").tBodies[0]; body.innerHTML = "";
  const select = $("layer-select"), keep = select.value || model.selected; select.innerHTML = "";
  for (const layer of model.layers) {
    const row = body.insertRow(); row.dataset.path = layer.path;
    if (layer.path === model.selected) row.className = "selected";
    row.innerHTML = `<td>${layer.name}</td><td>${layer.path}</td><td class="width">${layer.width}</td><td>${layer.parameters}</td>`
      + `<td>${layer.frozenUnits}</td>` + [spectrum(layer.spectrum), fmt(layer.stableRank, 2), fmt(layer.alpha, 2)]
        .map(v => `<td class="${layer.analysed ? "" : "stale"}">${v}</td>`).join("");
    row.cells[7].className += " alpha";
    row.onclick = () => { model.selected = layer.path; select.value = layer.path; drawLayers(); };
    const option = document.createElement("option"); option.value = layer.path;
    option.textContent = layer.name + " (" + layer.path + ", " + layer.width + " units)"; select.appendChild(option);
  }
  if (keep) select.value = keep;
}
function drawHistory() {
  const body = $("history-table").tBodies[0]; body.innerHTML = "";
  for (const o of model.operations) {
    const row = body.insertRow();
    const who = o.source === "schedule" ? "schedule" : (o.who || "request");
    const width = o.widthBefore != null ? o.widthBefore + " → " + (o.widthAfter ?? "gone") : "-";
    row.innerHTML = `<td>${o.text}</td><td>${who}</td><td>${o.epoch}</td><td>${o.batch ?? "end"}</td><td>${width}</td>`
      + `<td>${o.parametersBefore} → ${o.parametersAfter}</td><td>${o.plan ? fmt(o.lossAfter / o.lossBefore, 3) : "-"}</td>`
      + `<td>${o.plan ? "applied" : "rejected: " + o.rejected}</td>`;
  }
}
function drawUnits() {
  const body = $("units-table").tBodies[0]; body.innerHTML = "";
  if (!model.units) return;
  $("units-layer").textContent = model.units.layer + ", " + model.units.units.length + " units; click a heading to sort";
  const k = model.sortKey, units = model.units.units.slice().sort((a, b) => ((a[k] ?? -1) - (b[k] ?? -1)) * (model.sortDown ? -1 : 1));
  for (const u of units) body.insertRow().innerHTML = `<td>${u.unit}</td><td>${fmt(u.incomingL2, 4)}</td><td>${fmt(u.outgoingL2, 4)}</td>`
    + `<td>${fmt(u.taylor, 5)}</td><td>${fmt(u.lossRatio, 4)}</td><td>${fmt(u.zeroFraction, 3)}</td><td>${u.redundancyGroup ?? "-"}</td>`;
  drawHeat(units);
}
// Colour-blind-safe scales: viridis (sequential) and a blue-white-red diverging one.
const viridis = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const diverging = [[33, 102, 172], [247, 247, 247], [178, 24, 43]];
const groupColours = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#999999"];
function ramp(stops, t) {
  t = Math.min(Math.max(isFinite(t) ? t : 0, 0), 1) * (stops.length - 1);
  const k = Math.min(Math.floor(t), stops.length - 2), f = t - k;
  return "rgb(" + [0, 1, 2].map(c => Math.round(stops[k][c] + f * (stops[k + 1][c] - stops[k][c]))).join(",") + ")";
}
function heat(svg, rows, columns, colour, labels) {
  const w = svg.clientWidth || 300, h = svg.clientHeight || 320, top = labels ? 56 : 4;
  const cw = w / Math.max(columns, 1), rh = (h - top) / Math.max(rows.length, 1);
  let out = labels ? labels.map((l, j) => `<text transform="translate(${(j + 0.5) * cw} ${top - 4}) rotate(-40)" font-size="10">${l}</text>`).join("") : "";
  rows.forEach((row, i) => row.forEach((v, j) => { out += `<rect x="${(j * cw).toFixed(1)}" y="${(top + i * rh).toFixed(1)}" `
    + `width="${(cw + 0.3).toFixed(1)}" height="${(rh + 0.3).toFixed(1)}" fill="${colour(v, j)}"><title>${v.title}</title></rect>`; }));
  svg.innerHTML = out;
}
function drawHeat(units) {
  const keys = ["incomingL2", "outgoingL2", "taylor", "lossRatio", "zeroFraction"];
  const labels = ["in L2", "out L2", "Taylor", "ablation", "APoZ", "group"];
  const ranges = keys.map(k => { const v = units.map(u => u[k]).filter(x => typeof x === "number");
    return [Math.min(...v), Math.max(...v)]; });
  const rows = units.map(u => keys.map((k, j) => ({ t: typeof u[k] === "number" ? (u[k] - ranges[j][0]) / ((ranges[j][1] - ranges[j][0]) || 1) : NaN,
    title: "unit " + u.unit + ", " + labels[j] + " " + fmt(u[k], 5) })).concat([{ group: u.redundancyGroup,
    title: "unit " + u.unit + ", redundancy group " + (u.redundancyGroup ?? "none") }]));
  heat($("units-heat"), rows, labels.length, (v) => "group" in v ? (v.group === null || v.group === undefined ? "#fff"
    : groupColours[v.group % groupColours.length]) : (isFinite(v.t) ? ramp(viridis, v.t) : "#ddd"), labels);
  const m = model.weights;
  if (!m) { $("weights-heat").innerHTML = ""; return; }
  let big = 0; for (const r of m.rows) for (const v of r) big = Math.max(big, Math.abs(v));
  $("weights-low").textContent = (-big).toPrecision(2); $("weights-high").textContent = "+" + big.toPrecision(2);
  $("weights-caption").textContent = "Incoming weights (rows: units in the table's order; " + m.fanIn + " inputs"
    + (m.binSize > 1 ? ", each column the largest-magnitude weight of " + m.binSize + " consecutive inputs)" : ")");
  const wr = units.map(u => (m.rows[u.unit] || []).map((v, j) => ({ t: big ? 0.5 + 0.5 * v / big : 0.5,
    title: "unit " + u.unit + ", input " + j * m.binSize + ": " + v.toPrecision(3) })));
  heat($("weights-heat"), wr, m.rows.length ? m.rows[0].length : 0, (v) => ramp(diverging, v.t), null);
}
function operationText() {
  const op = $("op-select").value, layer = $("layer-select").value, parts = [op, layer];
  const to = $("op-to").value, fraction = $("op-fraction").value;
  if (to) parts.push("to=" + to); else if (fraction) parts.push(fraction);
  if (op === "eigenremove") parts.push("rank=" + $("op-rank").value);
  return parts.join(":");
}
function showPreview(p) {
  model.previewed = p.text;
  $("preview").textContent = p.text + ": width " + (p.widthBefore ?? "-") + " → " + (p.widthAfter ?? "-")
    + ", parameters " + p.parametersBefore + " → " + p.parametersAfter
    + ", on the probe batch: loss factor " + fmt(p.lossFactor, 4) + ", output change (rank-reduction error) " + fmt(p.outputChange, 5);
  $("apply-button").disabled = false;
}
$("preview-button").onclick = () => { $("apply-button").disabled = true; send({ type: "preview", text: operationText() }); };
$("apply-button").onclick = () => { if (model.previewed !== operationText()) { say("the form changed since the preview: preview again", "error"); return; }
  send({ type: "request", text: model.previewed }); $("apply-button").disabled = true; };
for (const id of ["op-select", "layer-select", "op-to", "op-fraction", "op-rank"]) $(id).addEventListener("input", () => { $("apply-button").disabled = true; });
$("pause-button").onclick = () => send({ type: "control", action: "pause" });
$("resume-button").onclick = () => send({ type: "control", action: "resume" });
$("stop-button").onclick = () => send({ type: "control", action: "stop" });
$("layer-select").addEventListener("change", () => { model.selected = $("layer-select").value; drawLayers(); });
$("units-button").onclick = () => { const l = $("layer-select").value; if (l) { say("measuring " + l + " ..."); send({ type: "units", layer: l }); } };
$("smoothing").oninput = drawCharts;
for (const th of document.querySelectorAll("th.sortable")) th.onclick = () => {
  model.sortDown = model.sortKey === th.dataset.key ? !model.sortDown : false; model.sortKey = th.dataset.key; drawUnits(); };
window.addEventListener("resize", () => { sizes.clear(); drawCharts(); });
connect();
</script>
</body>
</html>
"""#
}
#endif
