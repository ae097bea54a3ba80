// Taking a file: what kind it is (from its first bytes), and the ways to give one (picker, drop, paste).

import { $ } from "./shared.js";

export async function sniffKind(file) {
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

export const KIND_LABEL = { image: "image", pdf: "PDF", tiff: "TIFF", other: "?" };

export function initFileInput(setFile) {
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
