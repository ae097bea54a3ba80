// Talking to the OCR API on this origin: multipart uploads with progress, the error envelope,
// and background jobs with polling. Every request asks for the page's language (Accept-Language), so
// the service's error messages and field labels come back in it.

import { language } from "./i18n.js";

/** An error answer of the API (or of the network), normalised from the error envelope. */
export class ApiError extends Error {
  constructor({ status = 0, code = "error", message = "", requestId = null, retryAfter = null, details = null }) {
    super(message || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

export class AbortedError extends Error {
  constructor() {
    super("Cancelled");
    this.name = "AbortedError";
  }
}

/** Headers for the chosen credentials: {mode: "api-key"|"cognito"|"none", secret}. */
export function authHeaders(auth) {
  const secret = (auth?.secret ?? "").trim();
  if (!secret || auth?.mode === "none") return {};
  if (auth.mode === "cognito") return { authorization: `Bearer ${secret.replace(/^bearer\s+/i, "")}` };
  return { "x-api-key": secret };
}

function retryAfterSeconds(value) {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.round(n));
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - Date.now()) / 1000));
}

/** Build an ApiError from a status, a body text and a header getter. */
export function errorFromResponse(status, bodyText, getHeader) {
  let body = null;
  try {
    body = bodyText ? JSON.parse(bodyText) : null;
  } catch {
    body = null;
  }
  const requestId = getHeader("x-request-id");
  const retryAfter = retryAfterSeconds(getHeader("retry-after"));
  const env = body && typeof body === "object" ? body.error : null;
  if (env && typeof env === "object") {
    return new ApiError({
      status,
      code: String(env.code ?? "error"),
      message: String(env.message ?? ""),
      requestId: env.request_id ?? requestId,
      retryAfter,
      details: env.details ?? null,
    });
  }
  if (body && typeof body === "object" && "detail" in body) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    return new ApiError({ status, code: `http_${status}`, message: detail, requestId, retryAfter });
  }
  // not the API's envelope (a proxy or load balancer answered)
  return new ApiError({
    status,
    code: `http_${status}`,
    message: `The server answered ${status}${bodyText ? " with a non-JSON body" : ""}.`,
    requestId,
    retryAfter,
  });
}

function networkError() {
  return new ApiError({
    status: 0,
    code: "network_error",
    message: "Could not reach the service. Check the connection and that the service is running.",
  });
}

/**
 * POST a multipart form with XMLHttpRequest (fetch cannot report upload progress).
 * Resolves {status, data, requestId}; rejects ApiError or AbortedError.
 */
export function postForm(path, form, { headers = {}, onUploadProgress, onUploaded, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("accept-language", language());
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader("accept", "application/json");
    xhr.responseType = "text";
    if (onUploadProgress) {
      xhr.upload.addEventListener("progress", (e) => onUploadProgress(e.lengthComputable ? e.loaded / e.total : null));
    }
    if (onUploaded) xhr.upload.addEventListener("load", () => onUploaded());
    const onAbort = () => xhr.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    xhr.addEventListener("load", () => {
      done();
      const getHeader = (name) => xhr.getResponseHeader(name);
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve({ status: xhr.status, data: JSON.parse(xhr.responseText), requestId: getHeader("x-request-id") });
        } catch {
          reject(new ApiError({ status: xhr.status, code: "bad_response", message: "The answer was not valid JSON." }));
        }
      } else {
        reject(errorFromResponse(xhr.status, xhr.responseText, getHeader));
      }
    });
    xhr.addEventListener("error", () => {
      done();
      reject(networkError());
    });
    xhr.addEventListener("abort", () => {
      done();
      reject(new AbortedError());
    });
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    xhr.send(form);
  });
}

/** GET JSON; rejects ApiError / AbortedError like postForm. */
export async function getJson(path, { headers = {}, signal } = {}) {
  let res;
  try {
    const asked = { accept: "application/json", "accept-language": language(), ...headers };
    res = await fetch(path, { headers: asked, signal, cache: "no-store" });
  } catch (err) {
    if (err?.name === "AbortError") throw new AbortedError();
    throw networkError();
  }
  const text = await res.text();
  if (!res.ok) throw errorFromResponse(res.status, text, (n) => res.headers.get(n));
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError({ status: res.status, code: "bad_response", message: "The answer was not valid JSON." });
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(new AbortedError());
      },
      { once: true },
    );
  });
}

const ERROR_STATUS = {
  timeout: 504,
  queue_full: 429,
  not_ready: 503,
  unsupported_media_type: 415,
  file_too_large: 413,
  too_many_pages: 413,
  too_many_pixels: 413,
};

/**
 * Run a background job: POST /jobs, then poll GET /jobs/<id> until it succeeds or fails.
 * `onProgress(job)` sees every poll. Resolves the job's result. Aborting `signal` also asks the
 * service to cancel the job (POST /jobs/<id>/cancel).
 */
export async function runJob(form, { headers = {}, signal, onUploadProgress, onUploaded, onProgress } = {}) {
  const { data: created } = await postForm("/jobs", form, { headers, signal, onUploadProgress, onUploaded });
  const id = created.job_id;
  if (!id) throw new ApiError({ status: 0, code: "bad_response", message: "The job was not created (no job_id)." });
  const path = `/jobs/${encodeURIComponent(id)}`;
  const cancel = () => {
    fetch(`${path}/cancel`, { method: "POST", headers: { "accept-language": language(), ...headers }, keepalive: true }).catch(
      () => {},
    );
  };
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    onProgress?.(created);
    let wait = 400;
    for (;;) {
      await sleep(wait, signal);
      wait = Math.min(2000, Math.round(wait * 1.4));
      let job;
      try {
        job = await getJson(path, { headers, signal });
      } catch (err) {
        // a busy or restarting service: keep polling (jobs survive restarts)
        if (err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status === 503)) continue;
        throw err;
      }
      onProgress?.(job);
      if (job.status === "succeeded") return job.result;
      if (job.status === "cancelled") throw new ApiError({ status: 0, code: "cancelled", message: "The job was cancelled." });
      if (job.status === "failed") {
        const e = job.error || {};
        throw new ApiError({
          status: ERROR_STATUS[e.code] ?? 0,
          code: String(e.code ?? "job_failed"),
          message: String(e.message ?? "The job failed."),
          requestId: e.request_id ?? null,
        });
      }
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
}
