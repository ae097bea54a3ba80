// The page's controller: the form (file, task, language, credentials), the request with its
// progress, and the results (page viewer, text, structure Markdown, fields, JSON, exports).

import { AbortedError, ApiError, authHeaders, getJson, postForm, runJob } from "./api.js";
import { applyI18n, pickLanguage, setLanguage, t } from "./i18n.js";
import { initLines, renderLines } from "./lines.js";
import { Viewer } from "./viewer.js";
import { KIND_LABEL, initFileInput, sniffKind } from "./upload.js";
import { initHistory, recordRun, renderHistory } from "./history.js";
import { releasePageImages, wantsPageImages } from "./pages.js";
import { initSamples } from "./samples.js";
import { describeRequest, initCode, renderCode } from "./snippet.js";
import {
  clearResult,
  renderResult,
  showPage,
  renderMarkdownPanel,
  selectTab,
  initTabs,
  initExports,
} from "./results.js";
import { hideError, showLocalError, showApiError, startProgress, stopProgress } from "./progress.js";
import { $, DEFAULT_CONFIG, authMode, el, fmtBytes, scrollWithin, state, storageGet, storageSet, ui } from "./shared.js";

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
  renderHistory();
  renderCode();
  renderHealth();
  renderFileInfo();
  if (state.result) renderResult({ keepPage: true });
  else if (!state.file) ui.viewer.clear(t("viewerEmpty"));
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
    select.value = keep && keep in config.languages ? keep : config.page_lang || config.default_lang;
  }
  if (config.version) $("version").textContent = `OCR service ${config.version}`;
  const savedMode = storageGet("sessionStorage", "ocr.authMode");
  $("auth-mode").value = savedMode === "api-key" || savedMode === "cognito" ? savedMode : config.auth_mode === "cognito" ? "cognito" : "api-key";
  // a service that takes one kind of credential offers only that kind
  const only = config.auth_mode === "api-key" || config.auth_mode === "cognito" ? config.auth_mode : null;
  if (only) $("auth-mode").value = only;
  for (const opt of $("auth-mode").options) opt.hidden = only !== null && opt.value !== only;
  $("auth-mode").closest(".field").hidden = only !== null;
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
    ui.viewer.show({ width: state.bitmap.width, height: state.bitmap.height, rotation: 0, lines: [] }, {
      bitmap: state.bitmap,
      label: f.name,
    });
  } else {
    ui.viewer.clear(t(state.kind === "pdf" ? "pdfPreview" : "noPreview", { name: f.name || "file" }));
  }
  $("pager").hidden = true;
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
    if ($("words").checked && !asJob) form.append("words", "true");
  }
  if (task === "extraction") {
    const fields = $("fields").value.trim();
    if (fields) form.append("fields", fields);
    else form.append("template", $("template").value.trim());
  }
  // the browser cannot draw PDF and TIFF pages: the service sends them along, to draw the boxes over
  if (wantsPageImages(state.kind, task, asJob)) form.append("page_images", "true");
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
  const form = buildForm(task, asJob);
  const request = describeRequest(path, form, authMode());
  try {
    let result;
    if (asJob) {
      result = await runJob(form, {
        ...common,
        onProgress: (job) => {
          if (state.progress) {
            state.progress.phase = "job";
            state.progress.job = job;
          }
        },
      });
    } else {
      result = (await postForm(path, form, common)).data;
    }
    releasePageImages();
    state.result = result;
    state.resultTask = task;
    state.resultName = (state.file.name || "document").replace(/\.[^.]+$/, "") || "document";
    stopProgress(t("done", { s: ((performance.now() - started) / 1000).toFixed(1) }));
    renderResult();
    state.lastRequest = request;
    renderCode();
    recordRun({ name: state.file.name || "document", endpoint: path, lang: form.get("lang"), result });
    // bring the results into view when they start below the middle of the window
    if ($("results").getBoundingClientRect().top > window.innerHeight * 0.5) $("results").scrollIntoView({ block: "start" });
  } catch (err) {
    if (err instanceof AbortedError) {
      stopProgress(t("cancelled"));
    } else {
      stopProgress(null);
      showApiError(err instanceof ApiError ? err : new ApiError({ message: String(err?.message || err) }), path);
      state.lastRequest = request; // the code to try it again (or to report it) is useful after a failure too
      renderCode();
      if (err instanceof ApiError && err.status === 503) checkHealth();
    }
  } finally {
    state.controller = null;
  }
}

// --- viewer wiring -----------------------------------------------------------------------------------

function initViewer() {
  ui.viewer = new Viewer(
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
  ui.viewer.clear(t("viewerEmpty"));

  initLines();

  $("page-prev").addEventListener("click", () => state.pageIndex > 0 && showPage(state.pageIndex - 1));
  $("page-next").addEventListener("click", () => state.pageIndex < state.pages.length - 1 && showPage(state.pageIndex + 1));
  $("page-select").addEventListener("change", (e) => showPage(Number(e.target.value)));
  const layers = () =>
    ui.viewer.setLayers({
      lines: $("show-lines").checked,
      blocks: $("show-blocks").checked,
      fields: $("show-fields").checked,
      words: $("show-words").checked,
    });
  for (const id of ["show-lines", "show-blocks", "show-fields", "show-words"]) $(id).addEventListener("change", layers);
  $("zoom-in").addEventListener("click", () => ui.viewer.setZoom(ui.viewer.zoom * 1.25));
  $("zoom-out").addEventListener("click", () => ui.viewer.setZoom(ui.viewer.zoom / 1.25));
  $("zoom-fit").addEventListener("click", () => ui.viewer.setZoom(1));
  for (const r of document.querySelectorAll('input[name="text-scope"]')) {
    r.addEventListener("change", () => renderLines(state.pages[state.pageIndex]));
  }
  for (const r of document.querySelectorAll('input[name="md-scope"]')) r.addEventListener("change", renderMarkdownPanel);
  $("show-hidden").addEventListener("click", () => {
    state.showHidden = !state.showHidden; // the lines below the threshold join the list and the boxes
    renderResult({ keepPage: true });
  });
  window.addEventListener("resize", () => ui.viewer.hideTooltip());
}

// --- start ---------------------------------------------------------------------------------------------

function init() {
  initTheme();
  initUiLanguage();
  initViewer();
  initAuth();
  initTask();
  initFileInput(setFile);
  initSamples({ setFile, submit: () => $("form").requestSubmit() });
  initHistory();
  initCode();
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
