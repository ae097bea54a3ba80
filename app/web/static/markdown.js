// A small, safe Markdown renderer for the /structure results.
//
// It builds DOM nodes (createElement / textContent), never assigns HTML strings, so text from a
// document can never become markup. Supported: ATX headings, paragraphs, ordered and unordered
// lists, block quotes, fenced code, horizontal rules, pipe tables, inline code / bold / italic /
// http(s) links. The only HTML passed through is the <table> markup the API produces, and that is
// rebuilt element by element from an allow-list (table tags, rowspan/colspan): everything else in
// it is kept as plain text or dropped.

const TABLE_TAGS = new Map([
  ["table", []],
  ["caption", []],
  ["colgroup", ["span"]],
  ["col", ["span"]],
  ["thead", []],
  ["tbody", []],
  ["tfoot", []],
  ["tr", []],
  ["th", ["rowspan", "colspan", "scope"]],
  ["td", ["rowspan", "colspan"]],
  ["br", []],
  ["b", []],
  ["strong", []],
  ["i", []],
  ["em", []],
  ["sub", []],
  ["sup", []],
]);
const VOID_TAGS = new Set(["br", "col", "img", "hr", "input", "meta", "link", "wbr", "source", "area", "base"]);
// dropped together with everything inside them
const DROP_TAGS = new Set(["script", "style", "template", "iframe", "object", "noscript", "svg", "math", "title", "textarea", "xmp", "noembed", "noframes", "select"]);
const SCOPES = new Set(["row", "col", "rowgroup", "colgroup"]);
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", "#39": "'" };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8}|#39);/gi, (m, name) => {
    const lower = name.toLowerCase();
    if (lower.startsWith("#x") || lower.startsWith("#")) {
      const code = lower.startsWith("#x") ? Number.parseInt(lower.slice(2), 16) : Number.parseInt(lower.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : "\ufffd";
    }
    return ENTITIES[lower] ?? m;
  });
}

function cleanAttr(name, value) {
  if (name === "scope") return SCOPES.has(value) ? value : null;
  const n = Number.parseInt(value, 10);
  return Number.isInteger(n) && n >= 1 && n <= 1000 && String(n) === String(value).trim() ? String(n) : null;
}

function parseAttrs(src) {
  const attrs = new Map();
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(src))) attrs.set(m[1].toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ""));
  return attrs;
}

/**
 * Rebuild untrusted table HTML from an allow-list, without ever handing it to the browser's HTML
 * parser: a small tokenizer keeps table elements (with validated rowspan/colspan/scope), turns all
 * text into text nodes and drops every other tag (script/style and friends with their content).
 * Returns a DocumentFragment.
 */
export function sanitizeTableHtml(html) {
  const root = document.createDocumentFragment();
  const stack = [root];
  const names = [""];
  const top = () => stack[stack.length - 1];
  // close the innermost open element named in `close`, unless one named in `stop` comes first
  const closeOpen = (close, stop) => {
    for (let k = names.length - 1; k > 0; k--) {
      if (close.includes(names[k])) {
        stack.length = k;
        names.length = k;
        return;
      }
      if (stop.includes(names[k])) return;
    }
  };
  const src = String(html);
  const tagRe = /<!--[\s\S]*?(?:-->|$)|<![^>]*>|<\?[^>]*>|<\/?([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  let last = 0;
  let m;
  const text = (s) => {
    if (s) top().appendChild(document.createTextNode(decodeEntities(s)));
  };
  while ((m = tagRe.exec(src))) {
    text(src.slice(last, m.index));
    last = tagRe.lastIndex;
    if (!m[1]) continue; // comment, doctype, processing instruction
    const name = m[1].toLowerCase();
    const closing = m[0][1] === "/";
    if (DROP_TAGS.has(name)) {
      if (!closing) {
        const end = new RegExp(`</${name}\\s*>`, "ig");
        end.lastIndex = last;
        const e = end.exec(src);
        last = e ? end.lastIndex : src.length;
        tagRe.lastIndex = last;
      }
      continue;
    }
    const allowed = TABLE_TAGS.get(name);
    if (allowed === undefined) continue; // unknown tag: dropped, its text stays as text
    if (closing) {
      closeOpen([name], name === "table" ? [] : ["table"]);
      continue;
    }
    // implied end tags of rows and cells
    if (name === "td" || name === "th") closeOpen(["td", "th"], ["tr", "table"]);
    else if (name === "tr") closeOpen(["tr"], ["thead", "tbody", "tfoot", "table"]);
    else if (name === "thead" || name === "tbody" || name === "tfoot") closeOpen(["thead", "tbody", "tfoot"], ["table"]);
    const el = document.createElement(name);
    const attrs = parseAttrs(m[2] || "");
    for (const a of allowed) {
      if (attrs.has(a)) {
        const value = cleanAttr(a, attrs.get(a));
        if (value !== null) el.setAttribute(a, value);
      }
    }
    top().appendChild(el);
    if (!VOID_TAGS.has(name) && !m[0].endsWith("/>")) {
      stack.push(el);
      names.push(name);
    }
  }
  text(src.slice(last));
  return root;
}

// --- inline --------------------------------------------------------------------------------------

const INLINE = [
  { kind: "code", re: /`([^`\n]+)`/ },
  { kind: "strong", re: /\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__/ },
  { kind: "em", re: /\*(?=[^\s*])([^*]*?[^\s*])\*|(?<![\p{L}\p{N}])_(?=[^\s_])([^_]*?[^\s_])_(?![\p{L}\p{N}])/u },
  { kind: "link", re: /\[([^\]\n]+)\]\(([^()\s]+)\)/ },
  { kind: "br", re: /<br\s*\/?>/i },
];

function safeHref(url) {
  try {
    const u = new URL(url, window.location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

function unescapeMd(text) {
  return text.replace(/\\([\\`*_{}[\]()#+\-.!|>~])/g, "$1");
}

/** Append the inline content of `text` to `parent`. */
export function renderInline(text, parent) {
  let rest = text;
  while (rest.length) {
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(rest);
      if (m && (best === null || m.index < best.m.index)) best = { rule, m };
    }
    if (best === null) {
      parent.appendChild(document.createTextNode(unescapeMd(rest)));
      return;
    }
    const { rule, m } = best;
    // an escaped marker (\* or \`) is literal text
    if (m.index > 0 && rest[m.index - 1] === "\\") {
      parent.appendChild(document.createTextNode(unescapeMd(rest.slice(0, m.index - 1)) + rest[m.index]));
      rest = rest.slice(m.index + 1);
      continue;
    }
    if (m.index > 0) parent.appendChild(document.createTextNode(unescapeMd(rest.slice(0, m.index))));
    const inner = m[1] ?? m[2] ?? "";
    if (rule.kind === "code") {
      const el = document.createElement("code");
      el.textContent = inner;
      parent.appendChild(el);
    } else if (rule.kind === "br") {
      parent.appendChild(document.createElement("br"));
    } else if (rule.kind === "link") {
      const href = safeHref(m[2]);
      if (href) {
        const a = document.createElement("a");
        a.href = href;
        a.rel = "noopener noreferrer nofollow";
        a.target = "_blank";
        renderInline(m[1], a);
        parent.appendChild(a);
      } else {
        renderInline(m[1], parent);
      }
    } else {
      const el = document.createElement(rule.kind);
      renderInline(inner, el);
      parent.appendChild(el);
    }
    rest = rest.slice(m.index + m[0].length);
  }
}

// --- blocks --------------------------------------------------------------------------------------

const RE_HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RE_HR = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const RE_FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const RE_UL = /^ {0,3}[-*+]\s+(.*)$/;
const RE_OL = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;
const RE_QUOTE = /^ {0,3}>\s?(.*)$/;
const RE_HTML_TABLE = /^\s*<(table|html|body|thead|tbody|tr)\b/i;
const RE_TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && s[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (s[i] === "|") {
      cells.push(cur.trim());
      cur = "";
    } else {
      cur += s[i];
    }
  }
  cells.push(cur.trim());
  return cells;
}

function isTableStart(lines, i) {
  return i + 1 < lines.length && lines[i].includes("|") && RE_TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes("-");
}

function tableWrap(node) {
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.tabIndex = 0; // scrollable region reachable by keyboard
  wrap.appendChild(node);
  return wrap;
}

function renderPipeTable(lines, i, out) {
  const header = splitRow(lines[i]);
  const aligns = splitRow(lines[i + 1]).map((c) => {
    const left = c.startsWith(":");
    const right = c.endsWith(":");
    return left && right ? "center" : right ? "right" : left ? "left" : "";
  });
  const table = document.createElement("table");
  const thead = table.createTHead();
  const hr = thead.insertRow();
  header.forEach((cell, k) => {
    const th = document.createElement("th");
    th.scope = "col";
    if (aligns[k]) th.className = `align-${aligns[k]}`;
    renderInline(cell, th);
    hr.appendChild(th);
  });
  const tbody = table.createTBody();
  let j = i + 2;
  for (; j < lines.length; j++) {
    const line = lines[j];
    if (!line.trim() || !line.includes("|")) break;
    const cells = splitRow(line);
    const tr = tbody.insertRow();
    for (let k = 0; k < header.length; k++) {
      const td = tr.insertCell();
      if (aligns[k]) td.className = `align-${aligns[k]}`;
      renderInline(cells[k] ?? "", td);
    }
  }
  out.appendChild(tableWrap(table));
  return j;
}

function renderHtmlTable(lines, i, out) {
  // collect until the tables opened so far are closed (or the input ends)
  let html = "";
  let depth = 0;
  let j = i;
  for (; j < lines.length; j++) {
    html += `${lines[j]}\n`;
    depth += (lines[j].match(/<table\b/gi) || []).length;
    depth -= (lines[j].match(/<\/table\s*>/gi) || []).length;
    if (depth <= 0 && /<\/table\s*>/i.test(lines[j])) break;
  }
  const frag = sanitizeTableHtml(html);
  const box = document.createElement("div");
  box.className = "html-table";
  for (const node of Array.from(frag.childNodes)) {
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "TABLE") box.appendChild(tableWrap(node));
    else if (node.textContent.trim()) box.appendChild(document.createTextNode(node.textContent));
  }
  out.appendChild(box);
  return j + 1;
}

function isBlockStart(lines, i) {
  const line = lines[i];
  return (
    /^\s*<!--/.test(line) ||
    RE_HEADING.test(line) ||
    RE_HR.test(line) ||
    RE_FENCE.test(line) ||
    RE_UL.test(line) ||
    RE_OL.test(line) ||
    RE_QUOTE.test(line) ||
    RE_HTML_TABLE.test(line) ||
    isTableStart(lines, i)
  );
}

const RE_PAGE_MARK = /^\s*<!--\s*page\s+(\d+)\s*-->\s*$/i;

function renderBlocks(lines, out, opts = {}) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m;
    if ((m = RE_PAGE_MARK.exec(line))) {
      // the service separates pages with <!-- page N -->: show where each page starts
      const sep = document.createElement("p");
      sep.className = "page-mark";
      sep.textContent = opts.pageLabel ? opts.pageLabel(Number(m[1])) : `— ${m[1]} —`;
      sep.dataset.page = m[1];
      out.appendChild(sep);
      i++;
      continue;
    }
    if (/^\s*<!--/.test(line)) {
      // any other HTML comment: not shown
      while (i < lines.length && !lines[i].includes("-->")) i++;
      i++;
      continue;
    }
    if ((m = RE_FENCE.exec(line))) {
      const fence = m[1];
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
      i++;
      code.textContent = body.join("\n");
      pre.appendChild(code);
      out.appendChild(pre);
    } else if (RE_HTML_TABLE.test(line)) {
      i = renderHtmlTable(lines, i, out);
    } else if ((m = RE_HEADING.exec(line))) {
      const h = document.createElement(`h${Math.min(6, m[1].length + 1)}`); // the page owns <h1>
      renderInline(m[2], h);
      out.appendChild(h);
      i++;
    } else if (RE_HR.test(line)) {
      out.appendChild(document.createElement("hr"));
      i++;
    } else if (isTableStart(lines, i)) {
      i = renderPipeTable(lines, i, out);
    } else if (RE_QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && (m = RE_QUOTE.exec(lines[i]))) {
        inner.push(m[1]);
        i++;
      }
      const q = document.createElement("blockquote");
      renderBlocks(inner, q, opts);
      out.appendChild(q);
    } else if (RE_UL.test(line) || RE_OL.test(line)) {
      const ordered = RE_OL.test(line);
      const re = ordered ? RE_OL : RE_UL;
      const list = document.createElement(ordered ? "ol" : "ul");
      if (ordered) {
        const start = Number.parseInt(RE_OL.exec(line)[1], 10);
        if (start !== 1) list.start = start;
      }
      while (i < lines.length && (m = re.exec(lines[i]))) {
        const li = document.createElement("li");
        let text = ordered ? m[2] : m[1];
        i++;
        // lazy continuation lines (indented, not a new block)
        while (i < lines.length && lines[i].trim() && /^\s{2,}\S/.test(lines[i]) && !re.test(lines[i])) {
          text += ` ${lines[i].trim()}`;
          i++;
        }
        renderInline(text, li);
        list.appendChild(li);
      }
      out.appendChild(list);
    } else {
      const para = [line.trim()];
      i++;
      while (i < lines.length && lines[i].trim() && !isBlockStart(lines, i)) para.push(lines[i++].trim());
      const p = document.createElement("p");
      para.forEach((text, k) => {
        if (k) p.appendChild(document.createElement("br")); // OCR lines: keep the document's line breaks
        renderInline(text, p);
      });
      out.appendChild(p);
    }
  }
}

/**
 * Render Markdown into a fresh <div class="markdown-body">.
 * `opts.pageLabel(n)`: the text shown where the service's `<!-- page N -->` marks are.
 */
export function renderMarkdown(source, opts = {}) {
  const out = document.createElement("div");
  out.className = "markdown-body";
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  renderBlocks(lines, out, opts);
  return out;
}
