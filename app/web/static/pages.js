// The page images of an answer (asked for with page_images=true for PDFs and TIFFs, which the browser
// cannot draw itself): decoded into bitmaps for the viewer as the pages are shown, and the thumbnails
// that move between pages.

import { t } from "./i18n.js";
import { $, el, state } from "./shared.js";

/** Whether a request should ask for page images: a PDF or TIFF read by /ocr or /structure directly. */
export function wantsPageImages(kind, task, asJob) {
  return !asJob && (kind === "pdf" || kind === "tiff") && (task === "ocr" || task === "structure");
}

function usable(image) {
  return !!image && typeof image.data === "string" && image.data.length > 0 && image.width > 0 && image.height > 0;
}

function dataUrl(image) {
  return `data:${image.media_type === "image/png" ? "image/png" : "image/jpeg"};base64,${image.data}`;
}

// decoded page images, the few most recently shown (a 20-page answer decoded at once would hold ~150 MB)
const KEEP_DECODED = 6;
const decoded = new Map(); // page index -> ImageBitmap, least recently used first
let generation = 0; // a new answer: late decodes of the previous one are dropped

export function releasePageImages() {
  generation++;
  for (const bitmap of decoded.values()) bitmap.close?.();
  decoded.clear();
}

async function decode(image) {
  try {
    const bytes = Uint8Array.from(atob(image.data), (c) => c.charCodeAt(0));
    return await createImageBitmap(new Blob([bytes], { type: image.media_type || "image/jpeg" }));
  } catch {
    return null; // a page image that does not decode: the page is drawn without it
  }
}

/** Whether page `i` of the answer carries a page image. */
export function hasPageImage(i) {
  return usable(state.result?.pages?.[i]?.image);
}

/** The page image of page `i` as an ImageBitmap (decoded on first use), or null where there is none. */
export async function pageBitmap(i) {
  if (!hasPageImage(i)) return null;
  const kept = decoded.get(i);
  if (kept) {
    decoded.delete(i); // now the most recently used
    decoded.set(i, kept);
    return kept;
  }
  const gen = generation;
  const bitmap = await decode(state.result.pages[i].image);
  if (!bitmap || gen !== generation) {
    bitmap?.close?.();
    return null;
  }
  if (decoded.has(i)) {
    bitmap.close?.(); // decoded twice at once: keep the first
    return decoded.get(i);
  }
  decoded.set(i, bitmap);
  while (decoded.size > KEEP_DECODED) {
    const [oldest, old] = decoded.entries().next().value;
    decoded.delete(oldest);
    old.close?.();
  }
  return bitmap;
}

/** A JSON replacer that shortens page images (the JSON tab shows the answer; the download keeps them). */
export function shortenImages(key, value) {
  if (key === "data" && typeof value === "string" && this && typeof this.media_type === "string") {
    return `<${value.length} base64 characters>`;
  }
  return value;
}

/** One thumbnail per page (its image where the answer has one), for documents of two pages or more. */
export function renderThumbs(onPick) {
  const nav = $("thumbs");
  const list = $("thumb-list");
  const pages = state.pages;
  nav.hidden = pages.length < 2;
  if (nav.hidden) {
    list.replaceChildren();
    return;
  }
  list.replaceChildren(
    ...pages.map((page, i) => {
      const n = page.page ?? i + 1;
      const button = el("button", {
        cls: "thumb",
        attrs: { type: "button", "data-index": i, "aria-label": t("thumbPage", { n }) },
      });
      const image = state.result?.pages?.[i]?.image;
      if (usable(image)) {
        button.append(
          el("img", { attrs: { src: dataUrl(image), alt: "", width: image.width, height: image.height, decoding: "async" } }),
        );
      } else {
        const blank = el("span", { cls: "thumb-blank" });
        if (page.width > 0 && page.height > 0) blank.style.aspectRatio = `${page.width} / ${page.height}`;
        button.append(blank);
      }
      button.append(el("span", { cls: "thumb-n", text: n }));
      button.addEventListener("click", () => onPick(i));
      const li = el("li");
      li.append(button);
      return li;
    }),
  );
  markThumb(state.pageIndex);
}

export function markThumb(i) {
  for (const button of document.querySelectorAll("#thumb-list .thumb")) {
    if (Number(button.dataset.index) === i) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}
