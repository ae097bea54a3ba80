// The page viewer: the page image on a canvas, and an SVG overlay in page pixels with the detected
// text boxes, layout blocks and extracted fields. Hover (or keyboard focus) shows a box's text.

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_CANVAS_SIDE = 2400; // canvas pixels; the SVG overlay stays exact at any size
const LOW_CONFIDENCE = 0.8;

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function fmtPct(value) {
  return typeof value === "number" && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "–";
}

function quadPoints(line) {
  const box = Array.isArray(line.box) && line.box.length >= 3 ? line.box : null;
  if (box) return box.map((p) => `${Number(p[0])},${Number(p[1])}`).join(" ");
  const [x0, y0, x1, y1] = line.bbox.map(Number);
  return `${x0},${y0} ${x1},${y0} ${x1},${y1} ${x0},${y1}`;
}

function bboxOf(item) {
  if (Array.isArray(item.bbox) && item.bbox.length === 4) return item.bbox.map(Number);
  if (Array.isArray(item.box)) {
    const xs = item.box.map((p) => Number(p[0]));
    const ys = item.box.map((p) => Number(p[1]));
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  }
  return null;
}

/**
 * Draw `bitmap` (an ImageBitmap of the uploaded image, upright per its EXIF) into `canvas` the way the
 * service saw the page: turned back by `rotation` (clockwise degrees the service corrected) and
 * scaled to the page's width x height.
 */
export function drawPage(canvas, page, bitmap) {
  const W = page.width;
  const H = page.height;
  const scale = Math.min(1, MAX_CANVAS_SIDE / Math.max(W, H));
  canvas.width = Math.max(1, Math.round(W * scale));
  canvas.height = Math.max(1, Math.round(H * scale));
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!bitmap) return;
  const r = (((page.rotation || 0) % 360) + 360) % 360;
  const bw = bitmap.width;
  const bh = bitmap.height;
  const rw = r % 180 ? bh : bw;
  const rh = r % 180 ? bw : bh;
  ctx.scale((W * scale) / rw, (H * scale) / rh);
  if (r === 90) {
    ctx.translate(0, bw);
    ctx.rotate(-Math.PI / 2);
  } else if (r === 180) {
    ctx.translate(bw, bh);
    ctx.rotate(Math.PI);
  } else if (r === 270) {
    ctx.translate(bh, 0);
    ctx.rotate(Math.PI / 2);
  }
  ctx.drawImage(bitmap, 0, 0);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}

/** Where a field's label goes: above its box, else below it, else further up or down, so that no two labels
 * cover each other (fields on one row, or a value right under another's). Returns the text's (x, baseline). */
function placeLabel(bb, text, size, placed, pageWidth) {
  const width = Math.max(size, [...text].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 1 : 0.62), 0) * size);
  const x = Math.max(0, Math.min(bb[0], pageWidth - width));
  const gap = size * 0.25;
  const candidates = [];
  for (let k = 0; k < 6; k += 1) {
    candidates.push(bb[1] - gap - k * (size + gap)); // above, then higher
    candidates.push(bb[3] + size + gap + k * (size + gap)); // below, then lower
  }
  const overlaps = (r) => placed.some((p) => r[0] < p[2] && p[0] < r[2] && r[1] < p[3] && p[1] < r[3]);
  for (const baseline of candidates) {
    const r = [x, baseline - size, x + width, baseline + size * 0.25];
    if (r[1] >= 0 && !overlaps(r)) {
      placed.push(r);
      return [x, baseline];
    }
  }
  const baseline = bb[1] - gap; // nowhere free: above the box as before
  placed.push([x, baseline - size, x + width, baseline + size * 0.25]);
  return [x, baseline];
}

export class Viewer {
  /**
   * @param {object} els {viewer, stage, canvas, svg, tooltip, live, empty}
   * @param {object} opts {t: (key, vars) => string, onFocusItem(kind, index), onActivateItem(kind, index)}
   */
  constructor(els, opts) {
    this.els = els;
    this.opts = opts;
    this.items = []; // [{kind, index, el, text, confidence, label}]
    this.active = -1;
    this.zoom = 1;
    this.layers = { lines: true, blocks: true, fields: true, words: true };
    const { svg: overlay } = els;
    overlay.addEventListener("pointerover", (e) => {
      const el = e.target.closest?.("[data-item]");
      if (el) this.setActive(Number(el.dataset.item), { from: "pointer" });
    });
    overlay.addEventListener("pointerleave", () => this.setActive(-1));
    overlay.addEventListener("click", (e) => {
      const el = e.target.closest?.("[data-item]");
      if (el) {
        const item = this.items[Number(el.dataset.item)];
        this.opts.onActivateItem?.(item.kind, item.index);
      }
    });
    overlay.addEventListener("keydown", (e) => this.onKey(e));
    overlay.addEventListener("blur", () => this.setActive(-1));
  }

  clear(message) {
    const { svg: overlay, canvas, viewer, empty } = this.els;
    overlay.replaceChildren();
    overlay.removeAttribute("viewBox");
    canvas.width = 0;
    canvas.height = 0;
    this.items = [];
    this.active = -1;
    this.hideTooltip();
    viewer.dataset.state = "empty";
    if (message) empty.textContent = message;
  }

  /**
   * Show one page. `page`: {width, height, rotation, lines, blocks}; `fields`: [{name, value, confidence, bbox}];
   * `bitmap`: the uploaded image for this page or null (then the recognised text is drawn in place);
   * `upright`: the bitmap is already the page as the service read it (its page image), not the upload.
   */
  show(page, { bitmap = null, upright = false, fields = [], label = "" } = {}) {
    const { svg: overlay, canvas, viewer } = this.els;
    const W = Number(page.width);
    const H = Number(page.height);
    if (!(W > 0 && H > 0)) {
      this.clear(this.opts.t("noGeometry"));
      return;
    }
    viewer.dataset.state = "page";
    viewer.dataset.source = bitmap ? (upright ? "page-image" : "image") : "blank";
    drawPage(canvas, upright ? { ...page, rotation: 0 } : page, bitmap);
    overlay.replaceChildren();
    overlay.setAttribute("viewBox", `0 0 ${W} ${H}`);
    overlay.setAttribute("preserveAspectRatio", "none");
    this.items = [];
    this.active = -1;
    this.hideTooltip();
    const unit = Math.max(W, H) / 100; // label and stroke sizes scale with the page

    const gBlocks = svg("g", { class: "layer layer-blocks" });
    (page.blocks || []).forEach((block, index) => {
      const bb = bboxOf(block);
      if (!bb) return;
      const g = svg("g", { class: `block block-${String(block.type || "text").replace(/[^a-z_]/gi, "")}` });
      g.appendChild(svg("rect", { x: bb[0], y: bb[1], width: bb[2] - bb[0], height: bb[3] - bb[1] }));
      const tag = svg("text", { x: bb[0] + unit * 0.2, y: bb[1] - unit * 0.25, "font-size": unit * 1.1 });
      tag.textContent = String(block.type || "");
      g.appendChild(tag);
      this.addItem(g, { kind: "block", index, text: block.text || "", label: String(block.type || "block") });
      gBlocks.appendChild(g);
    });

    const gLines = svg("g", { class: "layer layer-lines" });
    (page.lines || []).forEach((line, index) => {
      const low = typeof line.confidence === "number" && line.confidence < LOW_CONFIDENCE;
      const poly = svg("polygon", { points: quadPoints(line), class: low ? "box low" : "box" });
      if (!bitmap) {
        // no page image (PDF, TIFF): draw the recognised text where it was found
        const bb = bboxOf(line);
        if (bb) {
          const h = bb[3] - bb[1];
          const w = bb[2] - bb[0];
          const text = svg("text", {
            class: "ghost-text",
            x: bb[0],
            y: bb[3] - h * 0.22,
            "font-size": Math.max(1, h * 0.78),
            textLength: Math.max(1, w),
            lengthAdjust: "spacingAndGlyphs",
          });
          text.textContent = line.text;
          gLines.appendChild(text);
        }
      }
      this.addItem(poly, { kind: "line", index, text: line.text, confidence: line.confidence });
      gLines.appendChild(poly);
    });

    // words=true: each word's box inside its line (over the lines, so that pointing at a word names it)
    const gWords = svg("g", { class: "layer layer-words" });
    (page.lines || []).forEach((line, li) => {
      (Array.isArray(line.words) ? line.words : []).forEach((word, wi) => {
        const bb = bboxOf(word);
        if (!bb) return;
        const rect = svg("rect", { class: "word", x: bb[0], y: bb[1], width: bb[2] - bb[0], height: bb[3] - bb[1] });
        this.addItem(rect, {
          kind: "word",
          index: `${li}.${wi}`,
          text: String(word.text ?? ""),
          label: this.opts.t("wordN", { n: wi + 1, total: line.words.length, line: li + 1 }),
        });
        gWords.appendChild(rect);
      });
    });

    const gFields = svg("g", { class: "layer layer-fields" });
    const placed = []; // the labels' rectangles so far: a label goes where it covers no other
    const size = unit * 1.2;
    fields.forEach((field) => {
      const bb = bboxOf(field);
      if (!bb) return;
      const g = svg("g", { class: "field-box" });
      g.appendChild(svg("rect", { x: bb[0], y: bb[1], width: bb[2] - bb[0], height: bb[3] - bb[1] }));
      const name = typeof field.label === "string" && field.label.trim() ? field.label.trim() : field.name;
      const [x, y] = placeLabel(bb, name, size, placed, W);
      const tag = svg("text", { x, y, "font-size": size });
      tag.textContent = name;
      g.appendChild(tag);
      this.addItem(g, {
        kind: "field",
        index: field.name,
        text: field.value == null ? "" : String(field.value),
        confidence: field.confidence,
        label: name,
      });
      gFields.appendChild(g);
    });

    overlay.append(gBlocks, gLines, gWords, gFields);
    const lineCount = (page.lines || []).length;
    overlay.setAttribute("aria-label", this.opts.t("overlayLabel", { label, count: lineCount }));
    this.applyLayers();
    this.applyZoom();
  }

  addItem(el, item) {
    const i = this.items.length;
    el.dataset.item = String(i);
    el.dataset.kind = item.kind;
    this.items.push({ ...item, el });
  }

  setLayers(layers) {
    Object.assign(this.layers, layers);
    this.applyLayers();
  }

  applyLayers() {
    const o = this.els.svg;
    o.classList.toggle("hide-lines", !this.layers.lines);
    o.classList.toggle("hide-blocks", !this.layers.blocks);
    o.classList.toggle("hide-fields", !this.layers.fields);
    o.classList.toggle("hide-words", !this.layers.words);
    if (this.active >= 0 && !this.isVisible(this.items[this.active])) this.setActive(-1);
  }

  isVisible(item) {
    return !!item && ((item.kind === "line" && this.layers.lines) ||
      (item.kind === "block" && this.layers.blocks) ||
      (item.kind === "field" && this.layers.fields) ||
      (item.kind === "word" && this.layers.words));
  }

  setZoom(z) {
    this.zoom = Math.min(4, Math.max(0.5, z));
    this.applyZoom();
  }

  applyZoom() {
    // width of the stage relative to the pane; the canvas and SVG follow it
    this.els.stage.style.width = `${Math.round(this.zoom * 100)}%`;
    this.hideTooltip();
  }

  /** Highlight an item from outside (the text list, the fields table). */
  highlight(kind, index, { scroll = false } = {}) {
    const i = this.items.findIndex((it) => it.kind === kind && it.index === index);
    this.setActive(i, { from: "outside" });
    if (i >= 0 && scroll) this.items[i].el.scrollIntoView?.({ block: "nearest", inline: "nearest", behavior: "smooth" });
  }

  /** Focus the page view on an item, as if the arrow keys had reached it. */
  focusItem(kind, index) {
    const i = this.items.findIndex((it) => it.kind === kind && it.index === index);
    if (i < 0) return;
    this.els.svg.focus({ preventScroll: true });
    this.setActive(i, { from: "keyboard" });
  }

  setActive(i, { from = "pointer" } = {}) {
    if (this.active >= 0 && this.items[this.active]) this.items[this.active].el.classList.remove("active");
    this.active = i;
    const item = this.items[i];
    if (!item) {
      this.hideTooltip();
      return;
    }
    item.el.classList.add("active");
    this.showTooltip(item);
    if (from !== "outside") this.opts.onFocusItem?.(item.kind, item.index);
    if (from === "keyboard") {
      this.els.live.textContent = this.describe(item);
      item.el.scrollIntoView?.({ block: "nearest", inline: "nearest" });
    }
  }

  describe(item) {
    const { t } = this.opts;
    const pos = item.kind === "line" ? t("lineN", { n: item.index + 1, total: this.countOf("line") }) : item.label;
    const conf = typeof item.confidence === "number" ? `, ${t("confidence")} ${fmtPct(item.confidence)}` : "";
    return `${pos}: ${item.text || t("empty")}${conf}`;
  }

  countOf(kind) {
    return this.items.filter((it) => it.kind === kind).length;
  }

  showTooltip(item) {
    const { tooltip, stage } = this.els;
    const { t } = this.opts;
    tooltip.replaceChildren();
    const head = document.createElement("div");
    head.className = "tt-head";
    head.textContent = item.kind === "line" ? t("lineN", { n: item.index + 1, total: this.countOf("line") }) : item.label;
    const text = document.createElement("div");
    text.className = "tt-text";
    text.textContent = item.text || t("empty");
    tooltip.append(head, text);
    if (typeof item.confidence === "number") {
      const conf = document.createElement("div");
      conf.className = item.confidence < LOW_CONFIDENCE ? "tt-conf low" : "tt-conf";
      conf.textContent = `${t("confidence")} ${fmtPct(item.confidence)}`;
      tooltip.appendChild(conf);
    }
    tooltip.hidden = false;
    // place under the box (above when there is no room), inside the stage
    const s = stage.getBoundingClientRect();
    const r = item.el.getBoundingClientRect();
    const tw = tooltip.offsetWidth;
    const th = tooltip.offsetHeight;
    let left = r.left - s.left;
    left = Math.max(4, Math.min(left, s.width - tw - 4));
    let top = r.bottom - s.top + 6;
    if (top + th > s.height - 4 && r.top - s.top - th - 6 > 0) top = r.top - s.top - th - 6;
    tooltip.style.left = `${Math.round(left)}px`;
    tooltip.style.top = `${Math.round(top)}px`;
  }

  hideTooltip() {
    this.els.tooltip.hidden = true;
  }

  onKey(e) {
    const visible = this.items.map((it, i) => [it, i]).filter(([it]) => this.isVisible(it)).map(([, i]) => i);
    if (!visible.length) return;
    const pos = visible.indexOf(this.active);
    let next = null;
    if (e.key === "ArrowRight" || e.key === "ArrowDown") next = visible[pos < 0 ? 0 : Math.min(visible.length - 1, pos + 1)];
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") next = visible[pos < 0 ? 0 : Math.max(0, pos - 1)];
    else if (e.key === "Home") next = visible[0];
    else if (e.key === "End") next = visible[visible.length - 1];
    else if (e.key === "Escape") {
      this.setActive(-1);
      e.preventDefault();
      return;
    } else if (e.key === "Enter" && this.active >= 0) {
      const item = this.items[this.active];
      this.opts.onActivateItem?.(item.kind, item.index);
      e.preventDefault();
      return;
    }
    if (next !== null) {
      e.preventDefault();
      this.setActive(next, { from: "keyboard" });
    }
  }
}
