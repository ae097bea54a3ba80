// The tables of a /structure answer (blocks with table cells) as grids, each with a CSV download
// (UTF-8 with a byte order mark, so that spreadsheet programs open Korean text right).

import { t } from "./i18n.js";
import { $, download, el, state, ui } from "./shared.js";

/** Every table with cells in the answer: {page, pageIndex, blockIndex, table}, in page and reading order. */
export function resultTables(result) {
  const out = [];
  (result?.pages || []).forEach((page, pageIndex) => {
    (page.blocks || []).forEach((block, blockIndex) => {
      const table = block?.table;
      if (table && Array.isArray(table.cells) && table.cells.length) {
        out.push({ page: page.page ?? pageIndex + 1, pageIndex, blockIndex, table });
      }
    });
  });
  return out;
}

function span(value) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** The grid's size: the table's rows x cols, grown to hold every cell. */
function size(table) {
  let rows = Number.isInteger(table.rows) ? table.rows : 0;
  let cols = Number.isInteger(table.cols) ? table.cols : 0;
  for (const c of table.cells) {
    rows = Math.max(rows, Number(c.row) + span(c.rowspan));
    cols = Math.max(cols, Number(c.col) + span(c.colspan));
  }
  return [rows, cols];
}

/** rows x cols texts; a merged cell's text at its top-left position, the positions it covers empty. */
export function tableGrid(table) {
  const [rows, cols] = size(table);
  const grid = Array.from({ length: rows }, () => Array(cols).fill(""));
  for (const c of table.cells) {
    if (c.row >= 0 && c.col >= 0 && c.row < rows && c.col < cols) grid[c.row][c.col] = String(c.text ?? "");
  }
  return grid;
}

// A cell a spreadsheet would evaluate (=, +, -, @, tab or CR first: "=HYPERLINK(…)", "+82-2-…" computed as
// arithmetic) is written as text with a leading apostrophe; a plain number ("-3", "-1,200.50") stays a number.
function defused(value) {
  if (!/^[=+\-@\t\r]/.test(value) || /^-[\d.,\s]+$/.test(value)) return value;
  return `'${value}`;
}

function csvField(raw) {
  const value = defused(raw);
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The table as CSV (RFC 4180: CRLF rows, fields with quotes, commas or line breaks quoted), with a BOM;
 * cells that would run as spreadsheet formulas are written as text. */
export function tableCsv(table) {
  return `\uFEFF${tableGrid(table)
    .map((row) => row.map(csvField).join(","))
    .join("\r\n")}\r\n`;
}

function gridTable(table, caption) {
  const [rows, cols] = size(table);
  const start = new Map(table.cells.map((c) => [`${c.row},${c.col}`, c]));
  const covered = new Set();
  for (const c of table.cells) {
    for (let r = c.row; r < c.row + span(c.rowspan); r++) {
      for (let k = c.col; k < c.col + span(c.colspan); k++) if (r !== c.row || k !== c.col) covered.add(`${r},${k}`);
    }
  }
  const grid = el("table", { cls: "grid-table" });
  grid.append(el("caption", { cls: "sr-only", text: caption }));
  const body = el("tbody");
  for (let r = 0; r < rows; r++) {
    const tr = el("tr");
    for (let k = 0; k < cols; k++) {
      const key = `${r},${k}`;
      const cell = start.get(key);
      if (cell) {
        const td = el("td", { text: cell.text ?? "" });
        if (span(cell.rowspan) > 1) td.rowSpan = span(cell.rowspan);
        if (span(cell.colspan) > 1) td.colSpan = span(cell.colspan);
        tr.append(td);
      } else if (!covered.has(key)) {
        tr.append(el("td", { cls: "empty-cell" }));
      }
    }
    body.append(tr);
  }
  grid.append(body);
  return grid;
}

/** The Tables tab: one grid per table with its CSV download; hovering a table on the page on screen finds its block. */
export function renderTables(result) {
  const box = $("tables");
  const tables = resultTables(result);
  if (!tables.length) {
    box.replaceChildren(el("p", { cls: "empty", text: t("noTables") }));
    return tables;
  }
  box.replaceChildren(
    ...tables.map((entry, i) => {
      const [rows, cols] = size(entry.table);
      const caption = t("tableCaption", { n: i + 1, page: entry.page, rows, cols });
      const card = el("section", { cls: "table-card", attrs: { "data-page": entry.page, "aria-label": caption } });
      const head = el("div", { cls: "table-head" });
      const button = el("button", { cls: "ghost csv", text: t("downloadCsv"), attrs: { type: "button" } });
      button.addEventListener("click", () =>
        download(`${state.resultName}.table-${entry.page}-${i + 1}.csv`, tableCsv(entry.table), "text/csv;charset=utf-8"),
      );
      head.append(el("h3", { text: caption }), button);
      const wrap = el("div", { cls: "table-wrap" });
      wrap.append(gridTable(entry.table, caption));
      card.append(head, wrap);
      card.addEventListener("pointerenter", () => {
        if (entry.pageIndex === state.pageIndex) ui.viewer.highlight("block", entry.blockIndex);
      });
      card.addEventListener("pointerleave", () => ui.viewer.setActive(-1, { from: "outside" }));
      return card;
    }),
  );
  return tables;
}
