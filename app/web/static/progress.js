// Errors and progress as the page shows them: the error panel (local and API errors with hints) and
// the progress bar of an upload, a request or a job.

import { has, t } from "./i18n.js";
import { $, state, authMode } from "./shared.js";

// --- errors and progress ------------------------------------------------------------------------------

export function hideError() {
  $("error").hidden = true;
  for (const id of ["secret", "pages", "fields", "template"]) $(id).removeAttribute("aria-invalid");
}

export function showLocalError(message, input) {
  $("error-title").textContent = message;
  $("error-message").textContent = "";
  $("error-hint").textContent = "";
  $("error-code").textContent = "";
  $("error-rid").textContent = "";
  $("error").hidden = false;
  $("error").dataset.status = "local";
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.closest("details")?.setAttribute("open", "");
    input.focus();
  }
}

export function showApiError(err, path) {
  const status = err.status ?? 0;
  $("error-title").textContent = has(`errTitle${status}`) ? t(`errTitle${status}`) : t("errTitleOther", { status });
  $("error-message").textContent = err.message || "";
  let hint = "";
  if (status === 401) hint = t(authMode() === "cognito" ? "hint401Token" : "hint401Key");
  else if (status === 404) hint = t("hint404", { path });
  else if (status === 413) hint = t("hint413");
  else if (status === 429) hint = err.retryAfter != null ? t("hint429", { s: err.retryAfter }) : t("hint429NoTime");
  else if (status === 503) hint = t("hint503");
  else if (status === 504) hint = t("hint504");
  $("error-hint").textContent = hint;
  $("error-code").textContent = err.code || "";
  $("error-rid").textContent = err.requestId ? t("requestId", { id: err.requestId }) : "";
  $("error").dataset.status = String(status);
  $("error").hidden = false;
  if (status === 401 && authMode() !== "none") $("secret").setAttribute("aria-invalid", "true");
}

export function startProgress() {
  state.progress = { phase: "upload", started: performance.now(), pct: 0, job: null };
  $("progress").hidden = false;
  $("cancel").hidden = false;
  $("submit").disabled = true;
  $("results").setAttribute("aria-busy", "true");
  renderProgress();
  state.timer = setInterval(renderProgress, 250);
}

function renderProgress() {
  const p = state.progress;
  if (!p) return;
  const bar = $("progress-bar");
  const s = ((performance.now() - p.started) / 1000).toFixed(1);
  let text;
  let value = null;
  if (p.phase === "upload") {
    value = p.pct == null ? null : Math.round(p.pct * 100);
    text = t("uploading", { pct: value == null ? "" : `${value}%` });
  } else if (p.phase === "job") {
    const prog = p.job?.progress;
    if (p.job?.status === "queued") text = t("jobQueued", { s });
    else if (prog && prog.total) {
      value = Math.round((100 * prog.done) / prog.total);
      text = t("jobRunning", { done: prog.done, total: prog.total, s });
    } else text = t("jobRunningNoTotal", { s });
  } else {
    text = t("processing", { s });
  }
  if (value == null) bar.removeAttribute("value");
  else bar.value = value;
  $("progress-text").textContent = text;
}

export function stopProgress(finalText) {
  clearInterval(state.timer);
  state.timer = null;
  state.progress = null;
  $("cancel").hidden = true;
  $("submit").disabled = false;
  $("results").removeAttribute("aria-busy");
  const bar = $("progress-bar");
  if (finalText) {
    bar.value = 100;
    $("progress-text").textContent = finalText;
  } else {
    $("progress").hidden = true;
  }
}
