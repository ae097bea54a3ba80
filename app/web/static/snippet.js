// "Code for this request": the curl command and a TypeScript fetch that send the request just made
// again: the same endpoint and form fields, the file by its name, and the credential as a placeholder
// (an environment variable), never the key or token typed into the page.

import { t } from "./i18n.js";
import { $, copyToClipboard, flash, state } from "./shared.js";

const ENV = { "api-key": "OCR_API_KEY", cognito: "OCR_TOKEN" };

/** What a request was, for the snippets: {origin, path, fields: [[name, value]], fileName, auth}. */
export function describeRequest(path, form, auth) {
  const fields = [];
  let fileName = "document";
  for (const [name, value] of form.entries()) {
    if (name === "file") fileName = value?.name || fileName;
    else fields.push([name, String(value)]);
  }
  return { origin: window.location.origin, path, fields, fileName, auth };
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, "'\\''")}'`;
}

export function curlSnippet(req) {
  const parts = [`curl -sS -X POST ${shellQuote(req.origin + req.path)}`];
  if (req.auth === "api-key") parts.push(`-H "x-api-key: $${ENV["api-key"]}"`);
  else if (req.auth === "cognito") parts.push(`-H "Authorization: Bearer $${ENV.cognito}"`);
  // the file by name (quoted for curl where the name has its separators); every other field as is
  const file = /[;,"]/.test(req.fileName) ? `"${req.fileName.replace(/(["\\])/g, "\\$1")}"` : req.fileName;
  parts.push(`-F ${shellQuote(`file=@${file}`)}`);
  for (const [name, value] of req.fields) parts.push(`--form-string ${shellQuote(`${name}=${value}`)}`);
  return `${parts.join(" \\\n  ")}\n`;
}

export function typescriptSnippet(req) {
  const s = JSON.stringify;
  const headers =
    req.auth === "api-key"
      ? `{ "x-api-key": process.env.${ENV["api-key"]} ?? "" }`
      : req.auth === "cognito"
        ? `{ authorization: \`Bearer \${process.env.${ENV.cognito} ?? ""}\` }`
        : "{}";
  const lines = [
    "// Node.js 18 or later (fetch, FormData and Blob are built in), as an ES module.",
    'import { readFile } from "node:fs/promises";',
    "",
    "const form = new FormData();",
    `form.append("file", new Blob([new Uint8Array(await readFile(${s(req.fileName)}))]), ${s(req.fileName)});`,
    ...req.fields.map(([name, value]) => `form.append(${s(name)}, ${s(value)});`),
    "",
    `const res = await fetch(${s(req.origin + req.path)}, {`,
    '  method: "POST",',
    `  headers: ${headers},`,
    "  body: form,",
    "});",
    "if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);",
    "const result = await res.json();",
    req.path === "/jobs" ? "console.log(result.job_id); // then GET /jobs/<job_id> until it has finished" : "console.log(result.text);",
  ];
  return `${lines.join("\n")}\n`;
}

export function renderCode() {
  const req = state.lastRequest;
  $("code-panel").hidden = !req;
  if (!req) return;
  const kind = document.querySelector('input[name="code-lang"]:checked')?.value || "curl";
  $("code-text").textContent = kind === "ts" ? typescriptSnippet(req) : curlSnippet(req);
  $("code-text").dataset.kind = kind;
  $("code-help").textContent = ENV[req.auth] ? t("codeHelp", { env: ENV[req.auth] }) : t("codeHelpNone");
}

export function initCode() {
  for (const r of document.querySelectorAll('input[name="code-lang"]')) r.addEventListener("change", renderCode);
  $("code-copy").addEventListener("click", async () => {
    flash("code-status", t((await copyToClipboard($("code-text").textContent)) ? "copied" : "copyFailed"));
  });
}
