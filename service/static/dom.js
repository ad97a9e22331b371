// Small DOM helpers. Data goes in through textContent only, never as HTML.

export const $ = (selector) => document.querySelector(selector);

// h("a", {href: "#/x", class: "c"}, "text", child, ...): an element with attributes and children.
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

// Show `message` in an error paragraph, or hide it when the message is empty.
export function setError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

export function percent(value) {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "–";
}

export function localTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

export function progressBar(epoch, epochs) {
  const bar = h("div", { class: "progress", title: `epoch ${epoch} of ${epochs}` }, h("div"));
  bar.firstChild.style.width = `${epochs ? (100 * epoch) / epochs : 0}%`;
  return bar;
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status);
}

export const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

// Run `task` now and every `interval` ms after each run ends, until stop(); a task that
// throws keeps the loop going (it shows its own error) unless it returns false.
export function poll(task, interval) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    const again = await task().catch(() => true);
    if (!stopped && again !== false) timer = setTimeout(run, interval);
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
