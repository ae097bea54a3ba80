// The page's controller: the form (file, task, language, credentials), the request with its
// progress, and the results (page viewer, text, structure Markdown, fields, JSON, exports).

import { AbortedError, ApiError, authHeaders, getJson, postForm, runJob } from "./api.js";
import { applyI18n, has, pickLanguage, setLanguage, t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";
import { Viewer } from "./viewer.js";

const $ = (id) => document.getElementById(id);

const LOW_CONFIDENCE = 0.8;
const DEFAULT_CONFIG = {
  auth_mode: "api-key",
  default_lang: "korean",
  languages: null,
  max_upload_mb: 20,
  max_pages: 50,
  version: "",
};

const state = {
  config: { ...DEFAULT_CONFIG },
  configKnown: false,
  file: null,
  kind: null, // image | pdf | tiff | other
  bitmap: null,
  result: null,
  resultTask: "ocr",
  resultName: "document",
  pages: [],
  pageIndex: 0,
  controller: null,
  progress: null, // {phase, started, pct, job}
  timer: null,
  health: null,
  healthError: null,
};

// --- storage (private browsing can throw) ------------------------------------------------------

function storageGet(area, key) {
  try {
    return window[area].getItem(key);
  } catch {
    return null;
  }
}

function storageSet(area, key, value) {
  try {
    if (value === null || value === undefined || value === "") window[area].removeItem(key);
    else window[area].setItem(key, value);
  } catch {
    /* storage unavailable: the value simply is not remembered */
  }
}

// --- helpers ---------------------------------------------------------------------------------------

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function fmtPct(v) {
  return typeof v === "number" && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "–";
}

function el(tag, { cls, text, attrs } = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Scroll `child` into view inside `container` only (never the window). */
function scrollWithin(container, child) {
  const c = container.getBoundingClientRect();
  const r = child.getBoundingClientRect();
  if (r.top < c.top) container.scrollTop -= c.top - r.top + 8;
  else if (r.bottom > c.bottom) container.scrollTop += r.bottom - c.bottom + 8;
}

async function sniffKind(file) {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const ascii = String.fromCharCode(...head);
  if (ascii.startsWith("%PDF")) return "pdf";
  if (ascii.startsWith("II*\u0000") || ascii.startsWith("MM\u0000*")) return "tiff";
  if (head[0] === 0x89 && ascii.slice(1, 4) === "PNG") return "image";
  if (head[0] === 0xff && head[1] === 0xd8) return "image";
  if (ascii.startsWith("BM")) return "image";
  if (ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WEBP") return "image";
  return "other";
}

const KIND_LABEL = { image: "image", pdf: "PDF", tiff: "TIFF", other: "?" };

// --- theme and interface language ------------------------------------------------------------

function applyTheme(value) {
  document.documentElement.dataset.theme = value;
  $("theme").value = value;
}

function initTheme() {
  applyTheme(storageGet("localStorage", "ocr.theme") || "auto");
  $("theme").addEventListener("change", (e) => {
    storageSet("localStorage", "ocr.theme", e.target.value);
    applyTheme(e.target.value);
  });
}

function initUiLanguage() {
  const lang = pickLanguage(storageGet("localStorage", "ocr.uiLang"));
  setLanguage(lang);
  $("ui-lang").value = lang;
  applyI18n();
  $("ui-lang").addEventListener("change", (e) => {
    storageSet("localStorage", "ocr.uiLang", e.target.value);
    setLanguage(e.target.value);
    applyI18n();
    refreshDynamicTexts();
  });
}

function refreshDynamicTexts() {
  updateAuthUi();
  renderHealth();
  renderFileInfo();
  if (state.result) renderResult({ keepPage: true });
  else if (!state.file) viewer.clear(t("viewerEmpty"));
  else previewFile();
}

// --- config, health ------------------------------------------------------------------------------

async function loadConfig() {
  try {
    const cfg = await getJson("/web/config");
    state.config = { ...DEFAULT_CONFIG, ...cfg };
    state.configKnown = true;
  } catch {
    state.configKnown = false;
  }
  const { config } = state;
  $("max-mb").textContent = String(Number(config.max_upload_mb));
  if (config.languages && typeof config.languages === "object") {
    const select = $("lang");
    const keep = storageGet("localStorage", "ocr.lang");
    select.replaceChildren(
      ...Object.entries(config.languages).map(([code, name]) => el("option", { text: name, attrs: { value: code } })),
    );
    select.value = keep && keep in config.languages ? keep : config.default_lang;
  }
  if (config.version) $("version").textContent = `OCR service ${config.version}`;
  const savedMode = storageGet("sessionStorage", "ocr.authMode");
  $("auth-mode").value = savedMode === "api-key" || savedMode === "cognito" ? savedMode : config.auth_mode === "cognito" ? "cognito" : "api-key";
  updateAuthUi();
}

async function checkHealth() {
  let next = 30000;
  try {
    const res = await fetch("/health", { cache: "no-store", headers: { accept: "application/json" } });
    const body = await res.json().catch(() => ({}));
    state.health = body.status || (res.ok ? "ok" : "down");
    state.healthError = typeof body.error === "string" ? body.error : null;
    if (state.health !== "ok") next = state.health === "failed" ? 30000 : 4000;
  } catch {
    state.health = "down";
    next = 8000;
  }
  renderHealth();
  setTimeout(checkHealth, next);
}

function renderHealth() {
  const pill = $("health");
  const map = { ok: "healthOk", loading: "healthLoading", draining: "healthDraining", failed: "healthFailed", down: "healthDown" };
  const key = map[state.health] || null;
  pill.dataset.state = state.health || "unknown";
  pill.textContent = key ? t(key) : state.health || "…";
  if (state.healthError) pill.title = state.healthError;
  else pill.removeAttribute("title");
}

// --- credentials -----------------------------------------------------------------------------------

function authMode() {
  if (state.configKnown && state.config.auth_mode === "none") return "none";
  return $("auth-mode").value;
}

function updateAuthUi() {
  const none = state.configKnown && state.config.auth_mode === "none";
  $("auth-set").querySelector(".row").hidden = none;
  $("auth-none").hidden = !none;
  const mode = $("auth-mode").value;
  const label = $("secret-label");
  label.dataset.i18n = mode === "cognito" ? "authCognito" : "authApiKey";
  label.textContent = t(label.dataset.i18n);
  const help = $("secret-help");
  help.dataset.i18n = mode === "cognito" ? "tokenHelp" : "secretHelp";
  help.textContent = t(help.dataset.i18n);
  const input = $("secret");
  input.value = storageGet("sessionStorage", `ocr.secret.${mode}`) || "";
  const shown = $("secret-show").getAttribute("aria-pressed") === "true";
  $("secret-show").textContent = t(shown ? "hide" : "show");
}

function initAuth() {
  $("auth-mode").addEventListener("change", (e) => {
    storageSet("sessionStorage", "ocr.authMode", e.target.value);
    updateAuthUi();
  });
  $("secret").addEventListener("input", (e) => {
    storageSet("sessionStorage", `ocr.secret.${$("auth-mode").value}`, e.target.value.trim());
  });
  $("secret-show").addEventListener("click", () => {
    const input = $("secret");
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    $("secret-show").setAttribute("aria-pressed", String(show));
    $("secret-show").textContent = t(show ? "hide" : "show");
  });
  $("secret-forget").addEventListener("click", () => {
    storageSet("sessionStorage", `ocr.secret.${$("auth-mode").value}`, null);
    $("secret").value = "";
    $("secret").focus();
  });
}

// --- file selection ----------------------------------------------------------------------------------

async function setFile(file) {
  if (!file) return;
  state.file = file;
  state.kind = await sniffKind(file);
  if (state.bitmap) state.bitmap.close?.();
  state.bitmap = null;
  if (state.kind === "image") {
    try {
      state.bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch {
      state.bitmap = null;
    }
  }
  clearResult();
  hideError();
  $("drop").dataset.state = "filled";
  renderFileInfo();
  previewFile();
}

function renderFileInfo() {
  const f = state.file;
  $("file-info").textContent = f
    ? t("fileChosen", { name: f.name || "clipboard", size: fmtBytes(f.size), type: KIND_LABEL[state.kind] || "?" })
    : "";
}

function previewFile() {
  const f = state.file;
  if (!f) return;
  if (state.bitmap) {
    viewer.show({ width: state.bitmap.width, height: state.bitmap.height, rotation: 0, lines: [] }, {
      bitmap: state.bitmap,
      label: f.name,
    });
  } else {
    viewer.clear(t(state.kind === "pdf" ? "pdfPreview" : "noPreview", { name: f.name || "file" }));
  }
  $("pager").hidden = true;
}

function initFileInput() {
  const input = $("file");
  const drop = $("drop");
  input.addEventListener("change", () => setFile(input.files?.[0]));
  const hasFiles = (e) => Array.from(e.dataTransfer?.types || []).includes("Files");
  let depth = 0;
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    drop.classList.add("dragging");
  });
  window.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  window.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) drop.classList.remove("dragging");
  });
  window.addEventListener("drop", (e) => {
    // anywhere on the page counts: dropping a file must never navigate away from the results
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    depth = 0;
    drop.classList.remove("dragging");
    try {
      input.files = e.dataTransfer.files;
    } catch {
      /* older browsers: state.file is what is sent anyway */
    }
    setFile(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    const file = Array.from(e.clipboardData?.files || []).find((f) => f.type.startsWith("image/") || f.type === "application/pdf");
    if (file) {
      e.preventDefault();
      setFile(file);
    }
  });
}

// --- task options -----------------------------------------------------------------------------------

function currentTask() {
  return document.querySelector('input[name="task"]:checked')?.value || "ocr";
}

function updateTaskUi() {
  const task = currentTask();
  $("extraction-row").hidden = task !== "extraction";
  storageSet("localStorage", "ocr.task", task);
}

function initTask() {
  const saved = storageGet("localStorage", "ocr.task");
  const radio = document.querySelector(`input[name="task"][value="${saved}"]`);
  if (radio && ["ocr", "structure", "extraction"].includes(saved)) radio.checked = true;
  for (const r of document.querySelectorAll('input[name="task"]')) r.addEventListener("change", updateTaskUi);
  $("lang").addEventListener("change", (e) => storageSet("localStorage", "ocr.lang", e.target.value));
  updateTaskUi();
}

// --- errors and progress ------------------------------------------------------------------------------

function hideError() {
  $("error").hidden = true;
  for (const id of ["secret", "pages", "fields", "template"]) $(id).removeAttribute("aria-invalid");
}

function showLocalError(message, input) {
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

function showApiError(err, path) {
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

function startProgress() {
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

function stopProgress(finalText) {
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

// --- submit -------------------------------------------------------------------------------------

function validate() {
  const { config } = state;
  if (!state.file) return [t("needFile"), $("file")];
  if (state.file.size > config.max_upload_mb * 1024 * 1024) {
    return [t("tooBigLocal", { size: fmtBytes(state.file.size), max: config.max_upload_mb }), $("file")];
  }
  const mode = authMode();
  if (state.configKnown && mode !== "none" && !$("secret").value.trim()) {
    return [t(mode === "cognito" ? "needToken" : "needSecret"), $("secret")];
  }
  const pages = $("pages");
  if (pages.value.trim() && !pages.checkValidity()) return [t("badPages"), pages];
  if (currentTask() === "extraction" && !$("fields").value.trim() && !$("template").value.trim()) {
    return [t("needFields"), $("template")];
  }
  return null;
}

function buildForm(task, asJob) {
  const form = new FormData();
  form.append("file", state.file, state.file.name || "upload");
  form.append("lang", $("lang").value);
  if (asJob) form.append("task", task);
  const pages = $("pages").value.replace(/\s+/g, "");
  if (pages) form.append("pages", pages);
  if (task === "ocr") {
    form.append("min_confidence", String($("min-conf").value || "0.5"));
    form.append("detect_orientation", $("orientation").checked ? "true" : "false");
  }
  if (task === "extraction") {
    const fields = $("fields").value.trim();
    if (fields) form.append("fields", fields);
    else form.append("template", $("template").value.trim());
  }
  return form;
}

async function submit(e) {
  e?.preventDefault();
  if (state.controller) return;
  hideError();
  const problem = validate();
  if (problem) {
    showLocalError(...problem);
    return;
  }
  const task = currentTask();
  const asJob = $("use-job").checked;
  const path = asJob ? "/jobs" : `/${task}`;
  const headers = authHeaders({ mode: authMode(), secret: $("secret").value });
  const controller = new AbortController();
  state.controller = controller;
  startProgress();
  const common = {
    headers,
    signal: controller.signal,
    onUploadProgress: (pct) => {
      if (state.progress?.phase === "upload") state.progress.pct = pct;
    },
    onUploaded: () => {
      if (state.progress) state.progress.phase = asJob ? "job" : "processing";
    },
  };
  const started = performance.now();
  try {
    let result;
    if (asJob) {
      result = await runJob(buildForm(task, true), {
        ...common,
        onProgress: (job) => {
          if (state.progress) {
            state.progress.phase = "job";
            state.progress.job = job;
          }
        },
      });
    } else {
      result = (await postForm(path, buildForm(task, false), common)).data;
    }
    state.result = result;
    state.resultTask = task;
    state.resultName = (state.file.name || "document").replace(/\.[^.]+$/, "") || "document";
    stopProgress(t("done", { s: ((performance.now() - started) / 1000).toFixed(1) }));
    renderResult();
    // bring the results into view when they start below the middle of the window
    if ($("results").getBoundingClientRect().top > window.innerHeight * 0.5) $("results").scrollIntoView({ block: "start" });
  } catch (err) {
    if (err instanceof AbortedError) {
      stopProgress(t("cancelled"));
    } else {
      stopProgress(null);
      showApiError(err instanceof ApiError ? err : new ApiError({ message: String(err?.message || err) }), path);
      if (err instanceof ApiError && err.status === 503) checkHealth();
    }
  } finally {
    state.controller = null;
  }
}

// --- results ----------------------------------------------------------------------------------------

function clearResult() {
  state.result = null;
  state.pages = [];
  state.pageIndex = 0;
  $("result-meta").replaceChildren();
  $("lines").replaceChildren();
  $("all-text").value = "";
  $("markdown").replaceChildren();
  $("fields-table").tBodies[0].replaceChildren();
  $("fields-meta").textContent = "";
  $("json").textContent = "";
  $("text-empty").textContent = t("noResult");
  $("text-empty").hidden = false;
  for (const id of ["copy", "dl-txt", "dl-json", "dl-md"]) $(id).disabled = true;
  $("tab-markdown").hidden = true;
  $("tab-fields").hidden = true;
  $("show-lines-wrap").hidden = false;
  $("show-blocks-wrap").hidden = true;
  $("show-fields-wrap").hidden = true;
  $("pager").hidden = true;
  selectTab("tab-text", false);
}

function resultPages(result) {
  if (Array.isArray(result.pages) && result.pages.length) return result.pages;
  if (state.bitmap) {
    return [{ page: 1, width: state.bitmap.width, height: state.bitmap.height, rotation: 0, lines: [] }];
  }
  return [];
}

function fieldEntries(result) {
  const fields = result.fields && typeof result.fields === "object" ? result.fields : null;
  if (!fields) return [];
  return Object.entries(fields).map(([name, f]) => ({ name, ...(f && typeof f === "object" ? f : { value: f }) }));
}

function docText(result) {
  if (typeof result.text === "string") return result.text;
  return (result.pages || []).map((p) => p.text ?? (p.lines || []).map((l) => l.text).join("\n")).join("\n\n");
}

function docMarkdown(result) {
  if (typeof result.markdown === "string" && result.markdown.trim()) return result.markdown;
  const parts = (result.pages || []).map((p) => p.markdown).filter((m) => typeof m === "string" && m.trim());
  return parts.length ? parts.join("\n\n---\n\n") : "";
}

function mdEscape(s) {
  return String(s ?? "").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function exportMarkdown() {
  const r = state.result;
  const title = `# ${state.resultName}\n\n`;
  if (state.resultTask === "extraction") {
    const rows = fieldEntries(r).map((f) => `| ${mdEscape(f.name)} | ${mdEscape(f.value ?? "")} | ${fmtPct(f.confidence)} |`);
    return `${title}| ${t("colField")} | ${t("colValue")} | ${t("colConfidence")} |\n|---|---|---:|\n${rows.join("\n")}\n`;
  }
  const md = docMarkdown(r);
  if (md) return md.endsWith("\n") ? md : `${md}\n`;
  const pages = r.pages || [];
  return (
    title +
    pages
      .map((p) => `## ${t("page")} ${p.page}\n\n${(p.lines || []).map((l) => mdEscape(l.text)).join("  \n")}\n`)
      .join("\n")
  );
}

function renderMeta() {
  const r = state.result;
  const meta = $("result-meta");
  const chips = [];
  const pages = r.pages || [];
  const lines = pages.reduce((n, p) => n + (p.lines || []).length, 0);
  if (pages.length) chips.push(t("metaPages", { n: pages.length }));
  if (lines) chips.push(t("metaLines", { n: lines }));
  if (r.engine && typeof r.engine === "object") {
    chips.push([r.engine.name, r.engine.backend, r.engine.device].filter(Boolean).join(" · "));
  }
  const total = r.timings_ms?.total;
  if (typeof total === "number") chips.push(t("metaTime", { ms: Math.round(total) }));
  if (r.method) chips.push(t(r.method === "llm" ? "methodLlm" : "methodRules"));
  if (r.fallback) chips.push(t("fallback", { why: r.fallback }));
  if (pages.some((p) => p.source === "text_layer")) chips.push(t("textLayer"));
  if (r.request_id) chips.push(t("requestId", { id: r.request_id }));
  meta.replaceChildren(...chips.map((c) => el("span", { cls: "chip", text: c })));
}

function renderResult({ keepPage = false } = {}) {
  const r = state.result;
  if (!r) return;
  state.pages = resultPages(r);
  if (!keepPage) state.pageIndex = 0;
  state.pageIndex = Math.min(state.pageIndex, Math.max(0, state.pages.length - 1));
  renderMeta();

  // pager
  const select = $("page-select");
  select.replaceChildren(
    ...state.pages.map((p, i) => el("option", { text: String(p.page ?? i + 1), attrs: { value: String(i) } })),
  );
  $("page-count").textContent = t("ofPages", { n: state.pages.length });
  $("pager").hidden = state.pages.length < 2;

  // which views apply
  const fields = fieldEntries(r);
  const md = docMarkdown(r);
  const hasBlocks = state.pages.some((p) => Array.isArray(p.blocks) && p.blocks.length);
  $("tab-markdown").hidden = !(state.resultTask === "structure" || md);
  $("tab-fields").hidden = !fields.length && state.resultTask !== "extraction";
  $("show-blocks-wrap").hidden = !hasBlocks;
  $("show-lines-wrap").hidden = !state.pages.some((p) => (p.lines || []).length);
  $("show-fields-wrap").hidden = !fields.some((f) => Array.isArray(f.bbox));

  // text for the whole document, fields, JSON
  $("all-text").value = docText(r);
  renderFields(fields);
  $("json").textContent = JSON.stringify(r, null, 2);
  for (const id of ["copy", "dl-txt", "dl-json", "dl-md"]) $(id).disabled = false;
  if (!keepPage) {
    const first = state.resultTask === "structure" ? "tab-markdown" : state.resultTask === "extraction" ? "tab-fields" : "tab-text";
    selectTab(first, false);
    if (state.resultTask === "extraction" && !state.pages.some((p) => (p.lines || []).length)) {
      document.querySelector('input[name="text-scope"][value="all"]').checked = true;
    }
  }
  showPage(state.pageIndex);
}

function showPage(i) {
  state.pageIndex = i;
  const page = state.pages[i];
  $("page-select").value = String(i);
  $("page-prev").disabled = i <= 0;
  $("page-next").disabled = i >= state.pages.length - 1;
  if (!page) {
    viewer.clear(t("noGeometry"));
  } else {
    const number = page.page ?? i + 1;
    const fields = fieldEntries(state.result).filter((f) => Array.isArray(f.bbox) && (f.page ?? 1) === number);
    const bitmap = state.bitmap && number === 1 ? state.bitmap : null;
    viewer.show(page, { bitmap, fields, label: `${t("page")} ${number}` });
  }
  renderLines(page);
  renderMarkdownPanel();
}

function renderLines(page) {
  const ol = $("lines");
  const lines = page?.lines || [];
  ol.replaceChildren(
    ...lines.map((line, i) => {
      const li = el("li");
      const btn = el("button", { cls: "line", attrs: { type: "button", "data-index": i } });
      const conf = typeof line.confidence === "number" ? line.confidence : null;
      btn.append(
        el("span", { cls: "line-text", text: line.text }),
        el("span", { cls: conf !== null && conf < LOW_CONFIDENCE ? "conf low" : "conf", text: fmtPct(conf) }),
      );
      btn.setAttribute("aria-label", `${line.text}, ${t("confidence")} ${fmtPct(conf)}`);
      li.append(btn);
      return li;
    }),
  );
  const scope = document.querySelector('input[name="text-scope"]:checked')?.value || "lines";
  ol.hidden = scope !== "lines";
  $("all-text").hidden = scope !== "all";
  const empty = $("text-empty");
  empty.hidden = !(scope === "lines" && !lines.length);
  empty.textContent = state.result ? t("noText") : t("noResult");
}

function renderMarkdownPanel() {
  const box = $("markdown");
  const r = state.result;
  if (!r) {
    box.replaceChildren();
    return;
  }
  const scope = document.querySelector('input[name="md-scope"]:checked')?.value || "page";
  const page = state.pages[state.pageIndex];
  let src = "";
  if (scope === "page") src = typeof page?.markdown === "string" && page.markdown.trim() ? page.markdown : docMarkdown(r);
  else src = docMarkdown(r);
  if (!src) {
    box.replaceChildren(el("p", { cls: "empty", text: t("noMarkdown") }));
  } else if (scope === "source") {
    box.replaceChildren(el("pre", { cls: "md-source", text: src }));
  } else {
    box.replaceChildren(renderMarkdown(src, { pageLabel: (n) => `${t("page")} ${n}` }));
  }
}

function renderFields(fields) {
  const tbody = $("fields-table").tBodies[0];
  const r = state.result;
  const meta = [];
  if (r.method) meta.push(t(r.method === "llm" ? "methodLlm" : "methodRules"));
  if (r.fallback) meta.push(t("fallback", { why: r.fallback }));
  $("fields-meta").textContent = meta.join(" · ");
  tbody.replaceChildren(
    ...fields.map((f) => {
      const tr = el("tr", { attrs: { "data-field": f.name } });
      const nameCell = el("th", { attrs: { scope: "row" } });
      if (Array.isArray(f.bbox)) {
        const btn = el("button", { cls: "linkish field-link", text: f.name, attrs: { type: "button" } });
        btn.addEventListener("click", () => focusField(f));
        nameCell.append(btn);
      } else {
        nameCell.textContent = f.name;
      }
      const found = f.value !== null && f.value !== undefined && f.value !== "";
      const valueCell = el("td", { cls: found ? "value" : "value missing", text: found ? f.value : t("notFound") });
      const conf = typeof f.confidence === "number" ? f.confidence : null;
      const confCell = el("td", { cls: conf !== null && conf < LOW_CONFIDENCE && found ? "num low" : "num", text: found ? fmtPct(conf) : "–" });
      const pageCell = el("td", { cls: "num", text: f.page ?? "" });
      tr.append(nameCell, valueCell, confCell, pageCell);
      tr.addEventListener("pointerenter", () => viewer.highlight("field", f.name));
      tr.addEventListener("pointerleave", () => viewer.setActive(-1, { from: "outside" }));
      return tr;
    }),
  );
}

function focusField(f) {
  const idx = state.pages.findIndex((p, i) => (p.page ?? i + 1) === (f.page ?? 1));
  if (idx >= 0 && idx !== state.pageIndex) showPage(idx);
  viewer.highlight("field", f.name, { scroll: true });
}

// --- tabs ---------------------------------------------------------------------------------------------

function tabs() {
  return Array.from(document.querySelectorAll('[role="tab"]')).filter((tab) => !tab.hidden);
}

function selectTab(id, focus = true) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === id;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
}

function initTabs() {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => selectTab(tab.id));
    tab.addEventListener("keydown", (e) => {
      const list = tabs();
      const i = list.indexOf(tab);
      let next = null;
      if (e.key === "ArrowRight") next = list[(i + 1) % list.length];
      else if (e.key === "ArrowLeft") next = list[(i - 1 + list.length) % list.length];
      else if (e.key === "Home") next = list[0];
      else if (e.key === "End") next = list[list.length - 1];
      if (next) {
        e.preventDefault();
        selectTab(next.id);
      }
    });
  }
}

// --- copy and downloads ------------------------------------------------------------------------------

async function copyText() {
  const text = docText(state.result);
  const status = $("copy-status");
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = t("copied");
  } catch {
    // not a secure context (plain http on a LAN address): fall back to a selection
    const area = el("textarea", { cls: "offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    status.textContent = t(ok ? "copied" : "copyFailed");
  }
  setTimeout(() => {
    status.textContent = "";
  }, 4000);
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { attrs: { href: url, download: name } });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function initExports() {
  $("copy").addEventListener("click", copyText);
  $("dl-txt").addEventListener("click", () =>
    download(`${state.resultName}.${state.resultTask}.txt`, docText(state.result), "text/plain;charset=utf-8"),
  );
  $("dl-json").addEventListener("click", () =>
    download(`${state.resultName}.${state.resultTask}.json`, JSON.stringify(state.result, null, 2), "application/json"),
  );
  $("dl-md").addEventListener("click", () =>
    download(`${state.resultName}.${state.resultTask}.md`, exportMarkdown(), "text/markdown;charset=utf-8"),
  );
}

// --- viewer wiring -----------------------------------------------------------------------------------

let viewer;

function initViewer() {
  viewer = new Viewer(
    {
      viewer: $("viewer"),
      stage: $("stage"),
      canvas: $("page-canvas"),
      svg: $("overlay"),
      tooltip: $("tooltip"),
      live: $("viewer-live"),
      empty: $("viewer-empty"),
    },
    {
      t,
      onFocusItem: (kind, index) => {
        for (const b of document.querySelectorAll("#lines .line.active")) b.classList.remove("active");
        for (const r of document.querySelectorAll("#fields-table tr.active")) r.classList.remove("active");
        if (kind === "line") {
          const btn = document.querySelector(`#lines .line[data-index="${index}"]`);
          if (btn) {
            btn.classList.add("active");
            scrollWithin($("panel-text"), btn);
          }
        } else if (kind === "field") {
          const row = Array.from($("fields-table").tBodies[0].rows).find((r) => r.dataset.field === index);
          row?.classList.add("active");
        }
      },
      onActivateItem: (kind, index) => {
        if (kind === "line") {
          selectTab("tab-text", false);
          document.querySelector(`#lines .line[data-index="${index}"]`)?.focus({ preventScroll: false });
        } else if (kind === "field") {
          selectTab("tab-fields", false);
        }
      },
    },
  );
  viewer.clear(t("viewerEmpty"));

  const lines = $("lines");
  const lineIndex = (e) => {
    const btn = e.target.closest?.(".line");
    return btn ? Number(btn.dataset.index) : null;
  };
  lines.addEventListener("pointerover", (e) => {
    const i = lineIndex(e);
    if (i !== null) viewer.highlight("line", i);
  });
  lines.addEventListener("focusin", (e) => {
    const i = lineIndex(e);
    if (i !== null) viewer.highlight("line", i, { scroll: true });
  });
  lines.addEventListener("pointerleave", () => viewer.setActive(-1, { from: "outside" }));
  lines.addEventListener("focusout", () => viewer.setActive(-1, { from: "outside" }));

  $("page-prev").addEventListener("click", () => state.pageIndex > 0 && showPage(state.pageIndex - 1));
  $("page-next").addEventListener("click", () => state.pageIndex < state.pages.length - 1 && showPage(state.pageIndex + 1));
  $("page-select").addEventListener("change", (e) => showPage(Number(e.target.value)));
  const layers = () =>
    viewer.setLayers({ lines: $("show-lines").checked, blocks: $("show-blocks").checked, fields: $("show-fields").checked });
  for (const id of ["show-lines", "show-blocks", "show-fields"]) $(id).addEventListener("change", layers);
  $("zoom-in").addEventListener("click", () => viewer.setZoom(viewer.zoom * 1.25));
  $("zoom-out").addEventListener("click", () => viewer.setZoom(viewer.zoom / 1.25));
  $("zoom-fit").addEventListener("click", () => viewer.setZoom(1));
  for (const r of document.querySelectorAll('input[name="text-scope"]')) {
    r.addEventListener("change", () => renderLines(state.pages[state.pageIndex]));
  }
  for (const r of document.querySelectorAll('input[name="md-scope"]')) r.addEventListener("change", renderMarkdownPanel);
  window.addEventListener("resize", () => viewer.hideTooltip());
}

// --- start ---------------------------------------------------------------------------------------------

function init() {
  initTheme();
  initUiLanguage();
  initViewer();
  initAuth();
  initTask();
  initFileInput();
  initTabs();
  initExports();
  clearResult();
  $("form").addEventListener("submit", submit);
  $("cancel").addEventListener("click", () => state.controller?.abort());
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      $("form").requestSubmit();
    }
  });
  loadConfig().finally(() => {
    document.documentElement.dataset.ready = "true";
  });
  checkHealth();
}

init();
