// Line charts drawn as inline SVG: a polyline and a dot per point for each series.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 520;
const HEIGHT = 260;
const MARGIN = { left: 56, right: 16, top: 28, bottom: 40 };

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Tick values at 1, 2 or 5 times a power of ten, about `count` of them over [lo, hi].
function niceTicks(lo, hi, count = 5) {
  const raw = (hi - lo) / count || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return { ticks, step };
}

function yDomain(values) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 0.5;
    hi += Math.abs(hi) * 0.1 || 0.5;
  }
  const pad = (hi - lo) * 0.08;
  const { ticks, step } = niceTicks(lo - pad, hi + pad);
  return { lo: Math.min(lo - pad, ticks[0]), hi: Math.max(hi + pad, ticks.at(-1)), ticks, step };
}

function formatTick(value, step) {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return value.toFixed(Math.min(decimals, 6));
}

/**
 * Draw `series` ([{key, label, color, dashed, points: [[epoch, value], ...]}]) into
 * `container`, replacing what was there. Points with a null or non-finite value are left out.
 */
export function drawChart(container, name, series, { xLabel = "epoch" } = {}) {
  const drawn = series
    .map((s) => ({ ...s, points: s.points.filter(([, y]) => Number.isFinite(y)) }))
    .filter((s) => s.points.length > 0);
  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": `${name} per ${xLabel}`,
    "data-chart": name,
  });
  container.replaceChildren(svg);
  if (drawn.length === 0) {
    svg.append(el("text", { x: WIDTH / 2, y: HEIGHT / 2, class: "empty" }, "no epochs yet"));
    return svg;
  }
  const xs = drawn.flatMap((s) => s.points.map(([x]) => x));
  const xMax = Math.max(2, ...xs);
  const y = yDomain(drawn.flatMap((s) => s.points.map(([, v]) => v)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x) => MARGIN.left + ((x - 1) / (xMax - 1)) * plotW;
  const py = (v) => MARGIN.top + (1 - (v - y.lo) / (y.hi - y.lo)) * plotH;

  const axes = el("g", { class: "axes" });
  for (const tick of y.ticks) {
    axes.append(el("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: py(tick), y2: py(tick), class: "grid" }));
    axes.append(el("text", { x: MARGIN.left - 6, y: py(tick) + 4, class: "tick y" }, formatTick(tick, y.step)));
  }
  const xStep = Math.max(1, Math.ceil((xMax - 1) / 10));
  for (let x = 1; x <= xMax; x += xStep) {
    axes.append(el("text", { x: px(x), y: HEIGHT - MARGIN.bottom + 16, class: "tick x" }, String(x)));
  }
  axes.append(el("text", { x: MARGIN.left + plotW / 2, y: HEIGHT - 6, class: "label" }, xLabel));
  axes.append(el("line", { x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + plotH, class: "axis" }));
  axes.append(el("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH, class: "axis" }));
  svg.append(axes);

  drawn.forEach((s, i) => {
    const group = el("g", { class: "series", "data-series": s.key, stroke: s.color, fill: s.color });
    const path = s.points.map(([x, v]) => `${px(x).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    group.append(el("polyline", { points: path, fill: "none", "stroke-dasharray": s.dashed ? "6 4" : "none" }));
    for (const [x, v] of s.points) {
      const dot = el("circle", { cx: px(x), cy: py(v), r: 3 });
      dot.append(el("title", {}, `${s.label}, ${xLabel} ${x}: ${v.toFixed(4)}`));
      group.append(dot);
    }
    svg.append(group);
    const lx = MARGIN.left + 8 + i * 130;
    const legend = el("g", { class: "legend" });
    legend.append(el("line", { x1: lx, x2: lx + 22, y1: 12, y2: 12, stroke: s.color, "stroke-dasharray": s.dashed ? "6 4" : "none" }));
    legend.append(el("text", { x: lx + 28, y: 16 }, s.label));
    svg.append(legend);
  });
  return svg;
}
