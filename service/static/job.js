// The job view: status, learning curves and the gradient-health plot, live while it trains.

import { getBlobUrl, getJson, postJson } from "./api.js";
import { drawChart } from "./chart.js";
import { $, FINISHED, h, localTime, percent, poll, setError, show, statusBadge } from "./dom.js";

const POLL_MS = 1000;
const TRAIN = "#2563eb";
const VALIDATION = "#ea580c";

function curves(history, metric) {
  const points = (key) => history.map((e) => [e.epoch, e[key]]);
  return [
    { key: metric, label: `train ${metric}`, color: TRAIN, points: points(metric) },
    { key: `val_${metric}`, label: `validation ${metric}`, color: VALIDATION, dashed: true, points: points(`val_${metric}`) },
  ];
}

function facts(job) {
  const seconds = job.history.reduce((sum, e) => sum + e.seconds, 0);
  const rows = [
    ["Data set", job.spec.dataset],
    ["Hidden layers", job.spec.hidden_layers.map((l) => (typeof l === "number" ? l : l.units)).join(" → ")],
    ["Epochs", `${job.progress.epoch} of ${job.progress.epochs}${job.progress.stopped_early ? " (stopped early)" : ""}`],
    ["Training time", `${seconds.toFixed(1)} s`],
    ["Published as", job.model ? `${job.model.name}:${job.model.version}` : "–"],
    ["Test accuracy", percent(job.metrics?.test_accuracy)],
    ["Test loss", job.metrics ? job.metrics.test_loss.toFixed(4) : "–"],
    ["Created", localTime(job.created_at)],
    ["Finished", localTime(job.finished_at)],
    ["Attempts", String(job.attempts)],
  ];
  if (job.error) rows.push(["Error", job.error]);
  return rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]);
}

function render(job) {
  $("#job-id").textContent = job.id;
  $("#job-status").replaceChildren(statusBadge(job.status));
  const { epoch, epochs } = job.progress;
  $("#job-progress-bar").style.width = `${epochs ? (100 * epoch) / epochs : 0}%`;
  $("#job-facts").replaceChildren(...facts(job));
  $("#job-spec").textContent = JSON.stringify(job.spec, null, 2);
  show($("#job-cancel"), !FINISHED.has(job.status) && !job.cancel_requested);
  drawChart($("#chart-loss"), "loss", curves(job.history, "loss"));
  drawChart($("#chart-accuracy"), "accuracy", curves(job.history, "accuracy"));
  const health = job.health;
  $("#job-verdict").textContent = health
    ? `— epoch ${health.epoch}: ${health.verdict.join(", ")}` +
      (health.problems_seen.length ? ` (seen: ${health.problems_seen.join(", ")})` : "")
    : "";
}

// Show job `id` and follow it until it finishes; returns the function that stops following.
export function openJob(id) {
  let reportFor = null; // the (epoch, status) the shown report was drawn for
  let reportUrl = null;

  async function refreshReport(job) {
    const key = `${job.progress.epoch}/${job.status}`;
    if (key === reportFor) return;
    const url = await getBlobUrl(`/jobs/${id}/report.png`);
    reportFor = key;
    const image = $("#job-report");
    image.src = url;
    if (reportUrl) URL.revokeObjectURL(reportUrl);
    reportUrl = url;
  }

  async function refresh() {
    try {
      const job = await getJson(`/jobs/${id}`);
      render(job);
      await refreshReport(job);
      setError($("#job-error"), "");
      return !FINISHED.has(job.status);
    } catch (error) {
      setError($("#job-error"), error.message);
      return error.status !== 401 && error.status !== 404;
    }
  }

  $("#job-id").textContent = id;
  for (const node of ["#job-status", "#job-facts", "#chart-loss", "#chart-accuracy"]) $(node).replaceChildren();
  $("#job-report").removeAttribute("src");
  $("#job-cancel").onclick = async () => {
    try {
      render(await postJson(`/jobs/${id}/cancel`));
    } catch (error) {
      setError($("#job-error"), error.message);
    }
  };
  const stop = poll(refresh, POLL_MS);
  return () => {
    stop();
    if (reportUrl) URL.revokeObjectURL(reportUrl);
  };
}
