// The home view: jobs and models (polled), a prediction box and a job form.

import { getJson, postJson } from "./api.js";
import { $, h, localTime, percent, poll, progressBar, setError, show, statusBadge } from "./dom.js";

const POLL_MS = 1500;
// A small job that trains in seconds on the built-in `digits` data set.
const SAMPLE_SPEC = {
  dataset: "digits",
  hidden_layers: [64, 32],
  epochs: 5,
  batch_size: 32,
  optimizer: { name: "sgd", learning_rate: 0.05 },
  model_name: "digits",
};
// One 8x8 `digits` image (a zero), as the data set stores it (0-16).
const DIGITS_ROW = [
  0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0,
  8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6,
  13, 10, 0, 0, 0,
];

// Model reference (as /predict takes it) -> the version record it resolves to now.
let choices = new Map();
let rowsEdited = false;

function jobRow(job) {
  const last = job.history.at(-1);
  const model = job.model ? `${job.model.name}:${job.model.version}` : job.spec.model_name || job.spec.dataset;
  return h(
    "tr",
    { "data-job": job.id, "data-status": job.status },
    h("td", {}, h("a", { href: `#/jobs/${job.id}`, title: job.id }, job.id.slice(0, 8))),
    h("td", {}, model),
    h("td", {}, statusBadge(job.status)),
    h("td", {}, h("div", { class: "progress-cell" }, progressBar(job.progress.epoch, job.progress.epochs),
      h("span", { class: "muted" }, `${job.progress.epoch}/${job.progress.epochs}`))),
    h("td", { class: "number" }, percent(last?.val_accuracy)),
    h("td", { class: "number" }, percent(job.metrics?.test_accuracy)),
    h("td", {}, localTime(job.created_at)),
  );
}

async function refreshJobs() {
  try {
    const page = await getJson("/jobs?limit=20");
    $("#jobs tbody").replaceChildren(...page.items.map(jobRow));
    $("#jobs-total").textContent = page.total > page.items.length
      ? `(newest ${page.items.length} of ${page.total})` : `(${page.total})`;
    show($("#jobs-empty"), page.total === 0);
    setError($("#jobs-error"), "");
  } catch (error) {
    setError($("#jobs-error"), `Jobs: ${error.message}`);
    if (error.status === 401) return false;
  }
}

function modelRows(model) {
  return [...model.versions].reverse().map((v) =>
    h(
      "tr",
      { "data-model": model.name, "data-version": v.version },
      h("td", {}, model.name),
      h("td", { class: "number" }, `v${v.version}`),
      h("td", {}, ...v.labels.map((label) => h("span", { class: "label" }, label))),
      h("td", {}, v.dataset),
      h("td", { class: "number" }, percent(v.metrics.test_accuracy)),
    ),
  );
}

function modelChoices(models) {
  const found = new Map();
  for (const model of models) {
    const byVersion = new Map(model.versions.map((v) => [v.version, v]));
    found.set(model.name, byVersion.get(model.latest_version));
    for (const [label, version] of Object.entries(model.labels)) {
      if (label !== "latest") found.set(`${model.name}:${label}`, byVersion.get(version));
    }
    for (const v of model.versions) found.set(`${model.name}:${v.version}`, v);
  }
  return found;
}

function fillPicker(found) {
  const picker = $("#predict-model");
  const signature = (map) => [...map].map(([ref, v]) => `${ref}=${v?.version}`).join(",");
  if (picker.options.length && signature(found) === signature(choices)) return;
  const previous = picker.value;
  choices = found;
  picker.replaceChildren(
    ...[...found].map(([ref, v]) => h("option", { value: ref }, `${ref}  (v${v.version}, ${v.dataset})`)),
  );
  if (found.has(previous)) picker.value = previous;
  $("#predict-form button").disabled = found.size === 0;
  prefillRows();
}

async function refreshModels() {
  try {
    const { items } = await getJson("/models");
    $("#models tbody").replaceChildren(...items.flatMap(modelRows));
    show($("#models-empty"), items.length === 0);
    fillPicker(modelChoices(items));
    setError($("#models-error"), "");
  } catch (error) {
    setError($("#models-error"), `Models: ${error.message}`);
    if (error.status === 401) return false;
  }
}

function prefillRows() {
  const record = choices.get($("#predict-model").value);
  if (rowsEdited || !record) return;
  const row = record.n_features === DIGITS_ROW.length ? DIGITS_ROW : Array(record.n_features).fill(0);
  $("#predict-rows").value = JSON.stringify([row]);
}

function predictionItem(prediction) {
  const best = prediction.top_k?.[0];
  const name = best ? best.class_name : String(prediction.label);
  return h(
    "li",
    {},
    h("div", {}, "class ", h("strong", { class: "class-name" }, name),
      name === String(prediction.label) ? "" : ` (label ${prediction.label})`),
    h("ul", { class: "top" }, ...(prediction.top_k || []).map((c) => {
      const bar = h("span", { class: "bar" });
      bar.style.width = `${(c.probability * 100).toFixed(1)}%`;
      return h("li", {}, h("span", { class: "name" }, c.class_name), h("span", { class: "track" }, bar),
        h("span", { class: "number" }, percent(c.probability)));
    })),
  );
}

async function predict(event) {
  event.preventDefault();
  const model = $("#predict-model").value;
  setError($("#predict-error"), "");
  $("#predict-result").replaceChildren();
  let instances;
  try {
    instances = JSON.parse($("#predict-rows").value);
  } catch (error) {
    setError($("#predict-error"), `Rows are not valid JSON: ${error.message}`);
    return;
  }
  const record = choices.get(model);
  const body = { model, instances, top_k: Math.min(3, record?.n_classes || 3) };
  try {
    const answer = await postJson("/predict", body);
    $("#predict-result").replaceChildren(...answer.predictions.map(predictionItem));
  } catch (error) {
    setError($("#predict-error"), error.message);
  }
}

async function submit(event) {
  event.preventDefault();
  setError($("#submit-error"), "");
  show($("#submit-result"), false);
  let spec;
  try {
    spec = JSON.parse($("#submit-spec").value);
  } catch (error) {
    setError($("#submit-error"), `The spec is not valid JSON: ${error.message}`);
    return;
  }
  try {
    const job = await postJson("/jobs", spec);
    const link = $("#submit-result a");
    link.href = `#/jobs/${job.id}`;
    link.textContent = `job ${job.id.slice(0, 8)} (${job.status})`;
    show($("#submit-result"), true);
    refreshJobs();
  } catch (error) {
    setError($("#submit-error"), error.message);
  }
}

export function setUpHome() {
  $("#submit-spec").value = JSON.stringify(SAMPLE_SPEC, null, 2);
  $("#submit-form").addEventListener("submit", submit);
  $("#predict-form").addEventListener("submit", predict);
  $("#predict-model").addEventListener("change", prefillRows);
  $("#predict-rows").addEventListener("input", () => { rowsEdited = true; });
}

// Show the home view and poll it; returns the function that stops the polling.
export function openHome() {
  const stops = [poll(refreshJobs, POLL_MS), poll(refreshModels, POLL_MS)];
  return () => stops.forEach((stop) => stop());
}
