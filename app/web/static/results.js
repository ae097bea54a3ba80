// The results of a read: pages in the viewer, lines, structure Markdown, fields, tabs, copy and exports.

import { has, t } from "./i18n.js";
import { hiddenLines, renderLines } from "./lines.js";
import { renderMarkdown } from "./markdown.js";
import { hasPageImage, markThumb, pageBitmap, releasePageImages, renderThumbs, shortenImages } from "./pages.js";
import { renderTables, resultTables } from "./tables.js";
import { $, LOW_CONFIDENCE, copyToClipboard, download, el, flash, fmtPct, state, ui } from "./shared.js";

// --- results ----------------------------------------------------------------------------------------

export function clearResult() {
  state.result = null;
  state.pages = [];
  state.pageIndex = 0;
  releasePageImages();
  $("thumbs").hidden = true;
  $("thumb-list").replaceChildren();
  $("tables").replaceChildren();
  $("tab-tables").hidden = true;
  state.lastRequest = null;
  $("code-panel").hidden = true;
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
  $("show-words-wrap").hidden = true;
  $("show-fields-wrap").hidden = true;
  $("pager").hidden = true;
  selectTab("tab-text", false);
}

function withHidden(page) {
  const extra = hiddenLines(page).map((u) => ({ ...u, hidden: true }));
  if (!extra.length) return page;
  const lines = [...(page.lines || []), ...extra].sort((a, b) => (a.bbox?.[1] ?? 0) - (b.bbox?.[1] ?? 0));
  return { ...page, lines };
}

function resultPages(result) {
  if (Array.isArray(result.pages) && result.pages.length) return state.showHidden ? result.pages.map(withHidden) : result.pages;
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

/** A field's name as a person reads it: the answer's `label` (in the request's language) when it has one. */
function fieldLabel(f) {
  return typeof f.label === "string" && f.label.trim() ? f.label.trim() : f.name;
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
    const rows = fieldEntries(r).map((f) => `| ${mdEscape(fieldLabel(f))} | ${mdEscape(f.value ?? "")} | ${fmtPct(f.confidence)} |`);
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
  if (typeof r.template === "string" && r.template) chips.push(t("metaTemplate", { name: r.template }));
  if (lines) chips.push(t("metaLines", { n: lines }));
  if (r.lang === "auto") {
    // lang=auto: the language each page was read as, by its name where the service lists it
    const names = (state.config && state.config.languages) || {};
    const read = [...new Set(pages.map((p) => p.lang).filter(Boolean))].map((c) => names[c] || c);
    if (read.length) chips.push(t("metaReadAs", { langs: read.join(", ") }));
  }
  if (r.engine && typeof r.engine === "object") {
    chips.push([r.engine.name, r.engine.backend, r.engine.device].filter(Boolean).join(" · "));
  }
  const total = r.timings_ms?.total;
  if (typeof total === "number") chips.push(t("metaTime", { ms: Math.round(total) }));
  if (r.method) chips.push(t(r.method === "llm" ? "methodLlm" : "methodRules"));
  if (r.fallback) chips.push(t("fallback", { why: r.fallback }));
  if (pages.some((p) => p.source === "text_layer")) chips.push(t("textLayer"));
  if (Number(r.page_images_omitted) > 0) chips.push(t("imagesOmitted", { n: Number(r.page_images_omitted) }));
  if (r.request_id) chips.push(t("requestId", { id: r.request_id }));
  meta.replaceChildren(...chips.map((c) => el("span", { cls: "chip", text: c })));
}

export function renderResult({ keepPage = false } = {}) {
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
  // "of N" only when every page 1..N was read; a selection (pages=2-3) says how many were read instead
  const numbers = state.pages.map((p, i) => p.page ?? i + 1);
  const whole = numbers.every((n, i) => n === i + 1);
  $("page-count").textContent = t(whole ? "ofPages" : "pagesRead", { n: state.pages.length });
  $("pager").hidden = state.pages.length < 2;
  renderThumbs(showPage);

  // which views apply
  const fields = fieldEntries(r);
  const md = docMarkdown(r);
  const hasBlocks = state.pages.some((p) => Array.isArray(p.blocks) && p.blocks.length);
  $("tab-markdown").hidden = !(state.resultTask === "structure" || md);
  $("tab-fields").hidden = !fields.length && state.resultTask !== "extraction";
  $("tab-tables").hidden = !resultTables(r).length;
  renderTables(r);
  $("show-blocks-wrap").hidden = !hasBlocks;
  $("show-lines-wrap").hidden = !state.pages.some((p) => (p.lines || []).length);
  $("show-words-wrap").hidden = !state.pages.some((p) => (p.lines || []).some((l) => Array.isArray(l.words)));
  $("show-fields-wrap").hidden = !fields.some((f) => Array.isArray(f.bbox));

  // text for the whole document, fields, JSON
  $("all-text").value = docText(r);
  renderFields(fields);
  $("json").textContent = JSON.stringify(r, shortenImages, 2);
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

let shown = 0; // the latest showPage: an older one whose page image decodes late does not draw

export function showPage(i) {
  state.pageIndex = i;
  const page = state.pages[i];
  $("page-select").value = String(i);
  $("page-prev").disabled = i <= 0;
  $("page-next").disabled = i >= state.pages.length - 1;
  if (!page) {
    ++shown;
    delete $("viewer").dataset.pending;
    ui.viewer.clear(t("noGeometry"));
  } else {
    const number = page.page ?? i + 1;
    const fields = fieldEntries(state.result).filter((f) => Array.isArray(f.bbox) && (f.page ?? 1) === number);
    const label = `${t("page")} ${number}`;
    const token = ++shown;
    const draw = (bitmap, upright) => {
      if (token !== shown) return; // another page was asked for meanwhile
      ui.viewer.show(page, { bitmap, upright, fields, label });
      $("viewer").dataset.page = String(number);
      delete $("viewer").dataset.pending;
    };
    $("viewer").dataset.pending = "true"; // until the page is drawn
    if (hasPageImage(i)) {
      // the page image the answer carries (PDF, TIFF), decoded now; the next page's is made ready meanwhile
      pageBitmap(i).then((bitmap) => {
        draw(bitmap, !!bitmap);
        if (i + 1 < state.pages.length) pageBitmap(i + 1);
      });
    } else {
      draw(state.bitmap && number === 1 ? state.bitmap : null, false); // the uploaded image itself
    }
  }
  markThumb(i);
  renderLines(page);
  renderMarkdownPanel();
}

export function renderMarkdownPanel() {
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

/** A field's normalised value as a person reads it: ISO date, "110000 KRW", digits. */
function normalizedText(n) {
  if (n === null || n === undefined) return "";
  if (typeof n === "object") {
    const amount = n.amount ?? n.value;
    return amount === undefined ? "" : [amount, n.currency].filter((v) => v !== null && v !== undefined).join(" ");
  }
  return String(n);
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
      const label = fieldLabel(f);
      if (label !== f.name) nameCell.title = f.name; // the name the API uses, on hover
      if (Array.isArray(f.bbox)) {
        const btn = el("button", { cls: "linkish field-link", text: label, attrs: { type: "button" } });
        btn.addEventListener("click", () => focusField(f));
        nameCell.append(btn);
      } else {
        nameCell.append(el("span", { cls: "field-name", text: label }));
      }
      // what the service understood the name as, in the page's language ("amountDue" · 합계)
      if (f.concept && has(`concept_${f.concept}`)) {
        nameCell.append(el("span", { cls: "concept", text: t(`concept_${f.concept}`) }));
      }
      const found = f.value !== null && f.value !== undefined && f.value !== "";
      const valueCell = el("td", { cls: found ? "value" : "value missing", text: found ? f.value : t("notFound") });
      const norm = found ? normalizedText(f.normalized) : "";
      if (norm && norm !== String(f.value)) valueCell.append(el("span", { cls: "normalized", text: `→ ${norm}` }));
      if (found && f.valid === false) {
        // the service's checks (check digit, digit groups, a sum that does not hold): say why, not just a number
        valueCell.classList.add("invalid");
        valueCell.append(el("span", { cls: "invalid-reason", text: `⚠ ${f.reason || t("invalidValue")}` }));
      }
      const conf = typeof f.confidence === "number" ? f.confidence : null;
      const confCell = el("td", { cls: conf !== null && conf < LOW_CONFIDENCE && found ? "num low" : "num", text: found ? fmtPct(conf) : "–" });
      const pageCell = el("td", { cls: "num", text: f.page ?? "" });
      tr.append(nameCell, valueCell, confCell, pageCell);
      tr.addEventListener("pointerenter", () => ui.viewer.highlight("field", f.name));
      tr.addEventListener("pointerleave", () => ui.viewer.setActive(-1, { from: "outside" }));
      return tr;
    }),
  );
}

function focusField(f) {
  const idx = state.pages.findIndex((p, i) => (p.page ?? i + 1) === (f.page ?? 1));
  if (idx >= 0 && idx !== state.pageIndex) showPage(idx);
  ui.viewer.highlight("field", f.name, { scroll: true });
}

// --- tabs ---------------------------------------------------------------------------------------------

function tabs() {
  return Array.from(document.querySelectorAll('[role="tab"]')).filter((tab) => !tab.hidden);
}

export function selectTab(id, focus = true) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === id;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
}

export function initTabs() {
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

/** What "Copy text" copies: the page on screen when the list shows "Lines on this page", else the whole document. */
export function textToCopy() {
  const scope = document.querySelector('input[name="text-scope"]:checked')?.value || "lines";
  const page = state.pages[state.pageIndex];
  if (scope === "lines" && state.pages.length > 1 && page) {
    return page.text ?? (page.lines || []).filter((l) => !l.hidden).map((l) => l.text).join("\n");
  }
  return docText(state.result);
}

async function copyText() {
  flash("copy-status", t((await copyToClipboard(textToCopy())) ? "copied" : "copyFailed"));
}

export function initExports() {
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
