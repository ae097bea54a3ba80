// What the page's modules share: the element lookup, the page state, storage and small DOM helpers.

export const $ = (id) => document.getElementById(id);

export const LOW_CONFIDENCE = 0.8;
export const DEFAULT_CONFIG = {
  auth_mode: "api-key",
  default_lang: "korean",
  languages: null,
  max_upload_mb: 20,
  max_pages: 50,
  version: "",
};

export const state = {
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
  showHidden: false, // also list the lines below min_confidence (pages[].unread, reason low_confidence)
  lastRequest: null, // {origin, path, fields, fileName, auth}: what "Code for this request" repeats
};

// --- storage (private browsing can throw) ------------------------------------------------------

export function storageGet(area, key) {
  try {
    return window[area].getItem(key);
  } catch {
    return null;
  }
}

export function storageSet(area, key, value) {
  try {
    if (value === null || value === undefined || value === "") window[area].removeItem(key);
    else window[area].setItem(key, value);
  } catch {
    /* storage unavailable: the value simply is not remembered */
  }
}

// --- helpers ---------------------------------------------------------------------------------------

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function fmtPct(v) {
  return typeof v === "number" && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "–";
}

export function el(tag, { cls, text, attrs } = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Scroll `child` into view inside `container` only (never the window). */
export function scrollWithin(container, child) {
  const c = container.getBoundingClientRect();
  const r = child.getBoundingClientRect();
  if (r.top < c.top) container.scrollTop -= c.top - r.top + 8;
  else if (r.bottom > c.bottom) container.scrollTop += r.bottom - c.bottom + 8;
}

/** Offer `text` as a file download named `name`. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { attrs: { href: url, download: name } });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Put `text` on the clipboard; true when it worked (falls back to a selection outside secure contexts). */
export async function copyToClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
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
    return ok;
  }
}

/** Show `message` in the status element `id` for a few seconds. */
export function flash(id, message) {
  const status = $(id);
  status.textContent = message;
  clearTimeout(status.flashTimer);
  status.flashTimer = setTimeout(() => {
    status.textContent = "";
  }, 4000);
}

// none | api-key | cognito: what the form's credentials are (none when the service needs none)
export function authMode() {
  if (state.configKnown && state.config.auth_mode === "none") return "none";
  return $("auth-mode").value;
}

export const ui = { viewer: null }; // the page viewer, once app.js has built it
