// Recent runs, kept in this browser's local storage: file name, time, endpoint, language, page count and
// the start of the text. Never the document, never the key; at most MAX_RUNS entries, newest first.

import { language, t } from "./i18n.js";
import { $, el, flash, storageGet, storageSet } from "./shared.js";

const KEY = "ocr.history";
export const MAX_RUNS = 20;
const EXCERPT_CHARS = 120;

function isRun(e) {
  return !!e && typeof e === "object" && typeof e.name === "string" && typeof e.time === "string";
}

export function loadRuns() {
  try {
    const list = JSON.parse(storageGet("localStorage", KEY) || "[]");
    return Array.isArray(list) ? list.filter(isRun).slice(0, MAX_RUNS) : [];
  } catch {
    return [];
  }
}

/** Remember one finished run (`result`: the API's answer, of which only the page count and a text excerpt are kept). */
export function recordRun({ name, endpoint, lang, result }) {
  const text = typeof result?.text === "string" ? result.text : "";
  const run = {
    name: String(name || "document").slice(0, 200),
    time: new Date().toISOString(),
    endpoint,
    lang,
    pages: Array.isArray(result?.pages) ? result.pages.length : 0,
    excerpt: text.replace(/\s+/g, " ").trim().slice(0, EXCERPT_CHARS),
  };
  storageSet("localStorage", KEY, JSON.stringify([run, ...loadRuns()].slice(0, MAX_RUNS)));
  renderHistory();
}

export function renderHistory({ keepShown = false } = {}) {
  const runs = loadRuns();
  const section = $("history");
  if (!keepShown) section.hidden = !runs.length;
  const when = new Intl.DateTimeFormat(language() === "ko" ? "ko-KR" : "en", { dateStyle: "medium", timeStyle: "short" });
  $("history-clear").disabled = !runs.length;
  if (!runs.length) {
    $("history-list").replaceChildren(el("li", { cls: "empty", text: t("historyEmpty") }));
    return;
  }
  $("history-list").replaceChildren(
    ...runs.map((run) => {
      const li = el("li", { cls: "run" });
      const head = el("div", { cls: "run-head" });
      const date = new Date(run.time);
      head.append(
        el("strong", { cls: "run-name", text: run.name }),
        el("span", { cls: "chip", text: run.endpoint || "" }),
        el("span", { cls: "chip", text: run.lang || "" }),
        el("span", { cls: "chip", text: t("metaPages", { n: Number(run.pages) || 0 }) }),
        el("time", { cls: "hint", text: Number.isNaN(date.getTime()) ? run.time : when.format(date), attrs: { datetime: run.time } }),
      );
      li.append(head);
      if (run.excerpt) li.append(el("p", { cls: "run-excerpt", text: run.excerpt }));
      return li;
    }),
  );
}

export function initHistory() {
  $("history-clear").addEventListener("click", () => {
    storageSet("localStorage", KEY, null);
    renderHistory({ keepShown: true });
    flash("history-status", t("historyCleared"));
  });
  renderHistory();
}
