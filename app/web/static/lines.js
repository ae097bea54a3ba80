// The lines of the page on screen: selectable text (a selection copies the lines' text, nothing else),
// and each line tied to its box on the page (hover, click or keyboard focus highlights it).

import { t } from "./i18n.js";
import { $, LOW_CONFIDENCE, el, fmtPct, scrollWithin, state, ui } from "./shared.js";

/** Lines the service read below the request's min_confidence (reported in pages[].unread, not dropped). */
export function hiddenLines(page) {
  return (page?.unread || []).filter((u) => u.reason === "low_confidence" && u.text);
}

export function renderLines(page) {
  const ol = $("lines");
  const lines = page?.lines || [];
  ol.replaceChildren(
    ...lines.map((line, i) => {
      const conf = typeof line.confidence === "number" ? line.confidence : null;
      const li = el("li", {
        cls: line.hidden ? "line below-threshold" : "line",
        attrs: { tabindex: 0, "data-index": i, "aria-label": `${line.text}, ${t("confidence")} ${fmtPct(conf)}` },
      });
      li.append(
        el("span", { cls: "line-text", text: line.text }),
        el("span", { cls: conf !== null && conf < LOW_CONFIDENCE ? "conf low" : "conf", text: fmtPct(conf) }),
      );
      return li;
    }),
  );
  const scope = document.querySelector('input[name="text-scope"]:checked')?.value || "lines";
  ol.hidden = scope !== "lines";
  $("lines-help").hidden = scope !== "lines" || !lines.length;
  $("all-text").hidden = scope !== "all";
  // how many lines the threshold hid on this page, and the switch to show them
  const source = state.result?.pages?.[state.pageIndex];
  const hidden = hiddenLines(source).length;
  const note = $("hidden-lines");
  note.hidden = !(scope === "lines" && hidden);
  $("hidden-lines-text").textContent = t("hiddenLines", { n: hidden });
  $("show-hidden").textContent = t(state.showHidden ? "hideHidden" : "showHidden");
  $("show-hidden").setAttribute("aria-pressed", String(state.showHidden));
  const empty = $("text-empty");
  empty.hidden = !(scope === "lines" && !lines.length);
  empty.textContent = state.result ? t("noText") : t("noResult");
}

/**
 * The text a selection in the line list stands for: the selected part of each line it touches, one line
 * per line (confidences and numbering left out). null when the selection is not in the list.
 */
export function selectedLinesText(selection, list = $("lines")) {
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  const parts = [];
  for (const span of list.querySelectorAll(".line-text")) {
    if (!range.intersectsNode(span)) continue;
    const part = document.createRange();
    part.selectNodeContents(span);
    if (range.compareBoundaryPoints(Range.START_TO_START, part) > 0) part.setStart(range.startContainer, range.startOffset);
    if (range.compareBoundaryPoints(Range.END_TO_END, part) < 0) part.setEnd(range.endContainer, range.endOffset);
    const text = part.toString();
    if (text) parts.push(text);
  }
  return parts.length ? parts.join("\n") : null;
}

/** The line list's events: highlight on hover and focus, click finds the box, arrows move, copy gives the text. */
export function initLines() {
  const ol = $("lines");
  const lineOf = (e) => e.target.closest?.("#lines .line") || null;
  const indexOf = (li) => (li ? Number(li.dataset.index) : null);
  ol.addEventListener("pointerover", (e) => {
    const i = indexOf(lineOf(e));
    if (i !== null) ui.viewer.highlight("line", i);
  });
  ol.addEventListener("focusin", (e) => {
    const li = lineOf(e);
    if (!li) return;
    markActive(li);
    ui.viewer.highlight("line", indexOf(li), { scroll: true });
  });
  ol.addEventListener("click", (e) => {
    const li = lineOf(e);
    if (!li || !window.getSelection()?.isCollapsed) return; // a selection being made: leave it alone
    markActive(li);
    ui.viewer.highlight("line", indexOf(li), { scroll: true });
  });
  ol.addEventListener("keydown", (e) => {
    const li = lineOf(e);
    if (!li) return;
    let next = null;
    if (e.key === "ArrowDown") next = li.parentElement.children[indexOf(li) + 1];
    else if (e.key === "ArrowUp") next = li.parentElement.children[indexOf(li) - 1];
    else if (e.key === "Home") next = li.parentElement.firstElementChild;
    else if (e.key === "End") next = li.parentElement.lastElementChild;
    else if (e.key === "Enter") {
      e.preventDefault();
      ui.viewer.focusItem("line", indexOf(li)); // on to the page: arrows go on from this box
      return;
    }
    if (next) {
      e.preventDefault();
      next.focus();
      scrollWithin($("panel-text"), next);
    }
  });
  ol.addEventListener("pointerleave", () => ui.viewer.setActive(-1, { from: "outside" }));
  ol.addEventListener("focusout", () => ui.viewer.setActive(-1, { from: "outside" }));
  ol.addEventListener("copy", (e) => {
    const text = selectedLinesText(window.getSelection(), ol);
    if (text === null || !e.clipboardData) return;
    e.clipboardData.setData("text/plain", text);
    e.preventDefault();
  });
}

function markActive(li) {
  for (const other of document.querySelectorAll("#lines .line.active")) other.classList.remove("active");
  li.classList.add("active");
}
