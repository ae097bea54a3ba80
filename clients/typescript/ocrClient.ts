/**
 * A small, dependency-free TypeScript client for the OCR service (browser, Next.js, Node 18+).
 *
 * It follows the HTTP contract in docs/api.md: multipart uploads in the form field `file`, the
 * error envelope `{"error": {"code", "message", "request_id"}}`, auth by `x-api-key` or
 * `Authorization: Bearer <Cognito ID or access token>`, and background jobs under /jobs.
 *
 *   const client = new OcrClient({ baseUrl: "https://ocr.example.com", getToken: idToken });
 *   const result = await client.ocr(file, { lang: "korean" });
 *
 * Copy this file into your app (it has no imports), or import it from this folder.
 */

// --- response types ------------------------------------------------------------------------------

/** PaddleOCR language codes the service accepts (others are answered with 422); `auto`: each page is read
 * as the language it turns out to be in (Korean, English, Chinese, Japanese), named in `pages[].lang`. */
export type Lang = "auto" | "korean" | "en" | "ch" | "chinese_cht" | "japan" | "latin" | (string & {});

export type Point = [x: number, y: number];
/** 4 points clockwise from top-left, in page pixels. */
export type Quad = [Point, Point, Point, Point];
/** [x0, y0, x1, y1] in page pixels. */
export type BBox = [x0: number, y0: number, x1: number, y1: number];

export interface OcrLine {
  text: string;
  confidence: number;
  box: Quad;
  bbox: BBox;
}

/** A detected region with ink that is not in `lines`: nothing read, or read below `min_confidence`. */
export interface OcrUnread extends OcrLine {
  reason: "no_text" | "low_confidence";
}

export interface OcrPage {
  /** 1-based page number in the document. */
  page: number;
  width: number;
  height: number;
  /** Clockwise degrees of page rotation that the service corrected (0, 90, 180, 270). */
  rotation: number;
  /** `text_layer`: a PDF page whose embedded text was used instead of OCR. */
  source?: "ocr" | "text_layer";
  /** The language the page was read as: the request's `lang`, or with `lang=auto` the one detected. */
  lang?: string | null;
  text: string;
  lines: OcrLine[];
  /** Regions with ink that were not read (or fell below `min_confidence`); never dropped silently. */
  unread?: OcrUnread[];
}

export interface EngineInfo {
  name: string;
  backend: string;
  device: string;
  models: Record<string, string>;
}

export interface OcrResult {
  request_id: string | null;
  lang: string;
  engine: EngineInfo;
  /** All pages: lines in reading order joined by "\n", pages joined by "\n\n". */
  text: string;
  pages: OcrPage[];
  timings_ms: Record<string, number>;
}

export type BlockType = "title" | "text" | "table" | "figure" | "list" | "header" | "footer" | "formula";

export interface TableCell {
  row: number;
  col: number;
  rowspan: number;
  colspan: number;
  text: string;
}

export interface StructureBlock {
  type: BlockType | (string & {});
  bbox: BBox;
  text: string;
  table?: { html: string; cells: TableCell[] } | null;
}

export interface StructurePage extends OcrPage {
  blocks: StructureBlock[];
  /** This page as Markdown (tables as Markdown or HTML). */
  markdown: string;
}

export interface StructureResult extends Omit<OcrResult, "pages"> {
  pages: StructurePage[];
  /** The whole document as Markdown. */
  markdown: string;
}

export interface ExtractedField {
  value: string | null;
  confidence: number;
  page?: number;
  bbox?: BBox;
}

export interface ExtractionResult {
  request_id: string | null;
  /** `llm` when an LLM backend answered; `rules` otherwise (always available, offline). */
  method: "rules" | "llm";
  /** Set when the LLM failed and the rules answered instead, e.g. `llm_timeout`. */
  fallback?: string;
  fields: Record<string, ExtractedField>;
  text: string;
}

export interface BatchItem {
  filename: string | null;
  status: number;
  result?: OcrResult;
  error?: ErrorBody;
}

export interface BatchResult {
  results: BatchItem[];
}

export type Task = "ocr" | "structure" | "extraction";

export interface TaskResults {
  ocr: OcrResult;
  structure: StructureResult;
  extraction: ExtractionResult;
}

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface JobFile {
  filename: string | null;
  /** Sniffed type: png, jpeg, tiff, bmp, webp or pdf. */
  kind: string;
  size: number;
  page_count: number;
  /** Pages selected for the job. */
  pages: number;
}

export interface Job<R = unknown> {
  job_id: string;
  status: JobStatus;
  task?: Task;
  /** Pages finished so far / pages the job will read (all files together). */
  progress?: { done: number; total: number } | null;
  /** When succeeded: the task's body for one file, or `{results: [...]}` for several files. */
  result: R | null;
  error: Pick<ErrorBody, "code" | "message"> & Partial<ErrorBody> | null;
  files?: JobFile[];
  created_at?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  /** When the job and its result are deleted (JOB_TTL_HOURS). */
  expires_at?: string | null;
}

export interface Health {
  status: "ok" | "loading" | "draining";
  models_loaded: boolean;
  version: Record<string, string | boolean | null>;
}

export interface ErrorBody {
  code: string;
  message: string;
  request_id: string | null;
  details?: Record<string, unknown>;
}

// --- errors --------------------------------------------------------------------------------------

/** Any failed call: an API error envelope, a non-API answer (proxy), a network error or a timeout. */
export class OcrApiError extends Error {
  override readonly name = "OcrApiError";
  /** HTTP status; 0 for network errors, client timeouts and cancellations. */
  readonly status: number;
  /** The envelope's code (`unauthenticated`, `file_too_large`, …) or `network_error`, `client_timeout`, `aborted`, `http_<status>`. */
  readonly code: string;
  readonly requestId: string | null;
  /** Seconds from `Retry-After` (429, 503), when the service sent it. */
  readonly retryAfterSeconds: number | null;
  readonly details: Record<string, unknown> | undefined;
  /** Which credential the request carried (`api-key`, `token`), so a 401 can say what to fix. */
  readonly credential: "api-key" | "token" | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    retryAfterSeconds?: number | null;
    details?: Record<string, unknown> | undefined;
    credential?: "api-key" | "token" | null;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
    this.details = init.details;
    this.credential = init.credential ?? null;
  }

  /** Worth retrying later: busy (429), not ready (503), timed out (504) or a network error. */
  get retryable(): boolean {
    return this.status === 429 || this.status === 503 || this.status === 504 || this.code === "network_error";
  }

  /** Credentials are missing, wrong or expired: sign in again / check the key. */
  get isAuthError(): boolean {
    return this.status === 401;
  }
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.round((at - Date.now()) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turn a non-2xx Response into an OcrApiError (reads the body). */
export async function errorFromResponse(
  res: Response,
  credential: "api-key" | "token" | null = null,
): Promise<OcrApiError> {
  const text = await res.text().catch(() => "");
  const requestId = res.headers.get("x-request-id");
  const retryAfterSeconds = parseRetryAfter(res.headers.get("retry-after"));
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const env = isRecord(body) ? body["error"] : undefined;
  if (isRecord(env) && typeof env["message"] === "string") {
    return new OcrApiError({
      status: res.status,
      code: typeof env["code"] === "string" ? env["code"] : `http_${res.status}`,
      message: env["message"],
      requestId: typeof env["request_id"] === "string" ? env["request_id"] : requestId,
      retryAfterSeconds,
      details: isRecord(env["details"]) ? env["details"] : undefined,
      credential,
    });
  }
  return new OcrApiError({
    status: res.status,
    code: `http_${res.status}`,
    message: `The server answered ${res.status} ${res.statusText}`.trim(),
    requestId,
    retryAfterSeconds,
    credential,
  });
}

// --- client --------------------------------------------------------------------------------------

export interface OcrClientOptions {
  /** Where the service runs, e.g. `https://ocr.example.com` (no trailing slash needed). */
  baseUrl: string;
  /** AUTH_MODE=api-key: sent as `x-api-key`. Keep it on a server: never ship it to browsers. */
  apiKey?: string;
  /**
   * AUTH_MODE=cognito: returns the Cognito ID or access token for `Authorization: Bearer`. Called
   * before every request, so a refreshed token is picked up (Amplify refreshes in fetchAuthSession).
   */
  getToken?: () => Promise<string | null | undefined> | string | null | undefined;
  /** Give up on a request after this long (default 180 s; the service's own limit is REQUEST_TIMEOUT_S). */
  timeoutMs?: number;
  /** Retries on 429/503 (honouring Retry-After, at most 30 s apart) and network errors; default 2. */
  retries?: number;
  /** Another fetch (tests, instrumentation). */
  fetch?: typeof fetch;
  /** Extra headers on every request (e.g. `x-request-id`). */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** File name sent with a Blob that has none (the service sniffs the type from the bytes anyway). */
  filename?: string;
}

export interface OcrOptions extends RequestOptions {
  lang?: Lang;
  /** e.g. `1-3,5` (1-based); default all pages, capped by MAX_PAGES. */
  pages?: string;
  /** Lines below this confidence are dropped (default 0.5). */
  minConfidence?: number;
  /** Fix 90/180/270 degree page rotation (default true). */
  detectOrientation?: boolean;
}

export interface StructureOptions extends RequestOptions {
  lang?: Lang;
  pages?: string;
}

export type ExtractionSpec =
  | { template: string; fields?: never }
  | { fields: string[] | Record<string, string>; template?: never };

export type ExtractionOptions = RequestOptions & ExtractionSpec & { lang?: Lang };

export type JobOptions = (OcrOptions & { task: "ocr" }) | (StructureOptions & { task: "structure" }) | (ExtractionOptions & { task: "extraction" });

export interface WaitOptions {
  signal?: AbortSignal;
  /** First poll after this long; later polls back off to 5 s (default 500 ms). */
  intervalMs?: number;
  /** Give up after this long (default 30 min). */
  timeoutMs?: number;
  onProgress?: (job: Job) => void;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

function aborted(): OcrApiError {
  return new OcrApiError({ status: 0, code: "aborted", message: "The request was cancelled." });
}

export class OcrClient {
  private readonly baseUrl: string;
  private readonly options: OcrClientOptions;
  private readonly fetchImpl: typeof fetch;

  constructor(options: OcrClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** POST /ocr: text lines with boxes and confidences, page by page. */
  ocr(file: Blob, options: OcrOptions = {}): Promise<OcrResult> {
    return this.postForm<OcrResult>("/ocr", this.ocrForm(file, options), options);
  }

  /** POST /ocr/batch: several files; each result has its own status. */
  ocrBatch(files: Blob[], options: Omit<OcrOptions, "filename"> = {}): Promise<BatchResult> {
    const form = this.ocrForm(null, options);
    files.forEach((file, i) => form.append("files", file, fileName(file, `file-${i + 1}`)));
    return this.postForm<BatchResult>("/ocr/batch", form, options);
  }

  /** POST /structure: layout blocks, tables (HTML and cells) and Markdown. */
  structure(file: Blob, options: StructureOptions = {}): Promise<StructureResult> {
    return this.postForm<StructureResult>("/structure", this.structureForm(file, options), options);
  }

  /** POST /extraction: named fields from a template (`invoice`, `receipt`, …) or your own list. */
  extraction(file: Blob, options: ExtractionOptions): Promise<ExtractionResult> {
    return this.postForm<ExtractionResult>("/extraction", this.extractionForm(file, options), options);
  }

  /** POST /jobs: start a background job for a large document; returns its id. */
  async submitJob(file: Blob, options: JobOptions): Promise<{ job_id: string; status: JobStatus }> {
    const form =
      options.task === "ocr"
        ? this.ocrForm(file, options)
        : options.task === "structure"
          ? this.structureForm(file, options)
          : this.extractionForm(file, options);
    form.append("task", options.task);
    return this.postForm("/jobs", form, options);
  }

  /** GET /jobs/<id>. */
  getJob<R = unknown>(jobId: string, options: { signal?: AbortSignal } = {}): Promise<Job<R>> {
    return this.request<Job<R>>(`/jobs/${encodeURIComponent(jobId)}`, { method: "GET" }, options.signal);
  }

  /** POST /jobs/<id>/cancel: stop a queued or running job (a finished job is returned unchanged). */
  cancelJob(jobId: string, options: { signal?: AbortSignal } = {}): Promise<Job> {
    return this.request<Job>(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" }, options.signal);
  }

  /** Poll a job until it succeeds (its result) or fails / is cancelled (an OcrApiError). */
  async waitForJob<R = unknown>(jobId: string, options: WaitOptions = {}): Promise<R> {
    const deadline = Date.now() + (options.timeoutMs ?? 30 * 60 * 1000);
    let interval = options.intervalMs ?? 500;
    for (;;) {
      const job = await this.getJob<R>(jobId, options.signal ? { signal: options.signal } : {});
      options.onProgress?.(job as Job);
      if (job.status === "succeeded" && job.result !== null) return job.result;
      if (job.status === "cancelled") {
        throw new OcrApiError({ status: 0, code: "cancelled", message: `Job ${jobId} was cancelled.` });
      }
      if (job.status === "failed") {
        const e = job.error;
        throw new OcrApiError({
          status: 0,
          code: e?.code ?? "job_failed",
          message: e?.message ?? "The job failed.",
          requestId: e?.request_id ?? null,
          details: e?.details,
        });
      }
      if (Date.now() + interval > deadline) {
        throw new OcrApiError({ status: 0, code: "client_timeout", message: `Job ${jobId} did not finish in time.` });
      }
      await sleep(interval, options.signal);
      interval = Math.min(5000, Math.round(interval * 1.5));
    }
  }

  /** Submit a job and wait for its result, typed by task. Aborting the signal cancels the job. */
  async runJob<T extends Task>(
    file: Blob,
    options: Extract<JobOptions, { task: T }>,
    wait: WaitOptions = {},
  ): Promise<TaskResults[T]> {
    const { job_id } = await this.submitJob(file, options);
    // cancelling the wait also cancels the job on the service
    const onAbort = () => void this.cancelJob(job_id).catch(() => undefined);
    const signal = wait.signal ?? options.signal;
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.waitForJob<TaskResults[T]>(job_id, { ...(signal ? { signal } : {}), ...wait });
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** GET /health (no credentials needed). 503 while loading or draining also resolves, with that status. */
  async health(options: { signal?: AbortSignal } = {}): Promise<Health> {
    const init: RequestInit = { headers: { accept: "application/json" } };
    if (options.signal) init.signal = options.signal;
    const res = await this.fetchImpl(`${this.baseUrl}/health`, init);
    return (await res.json()) as Health;
  }

  // --- internals ---

  private ocrForm(file: Blob | null, o: OcrOptions): FormData {
    const form = new FormData();
    if (file) form.append("file", file, fileName(file, o.filename));
    if (o.lang) form.append("lang", o.lang);
    if (o.pages) form.append("pages", o.pages);
    if (o.minConfidence !== undefined) form.append("min_confidence", String(o.minConfidence));
    if (o.detectOrientation !== undefined) form.append("detect_orientation", String(o.detectOrientation));
    return form;
  }

  private structureForm(file: Blob, o: StructureOptions): FormData {
    const form = new FormData();
    form.append("file", file, fileName(file, o.filename));
    if (o.lang) form.append("lang", o.lang);
    if (o.pages) form.append("pages", o.pages);
    return form;
  }

  private extractionForm(file: Blob, o: ExtractionOptions): FormData {
    const form = new FormData();
    form.append("file", file, fileName(file, o.filename));
    if (o.lang) form.append("lang", o.lang);
    if (o.template !== undefined) form.append("template", o.template);
    else if (Array.isArray(o.fields)) form.append("fields", JSON.stringify(o.fields));
    else if (o.fields) form.append("fields", JSON.stringify(o.fields));
    return form;
  }

  private postForm<T>(path: string, form: FormData, options: RequestOptions): Promise<T> {
    return this.request<T>(path, { method: "POST", body: form }, options.signal);
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.options.getToken) {
      const token = await this.options.getToken();
      if (token) return { authorization: `Bearer ${token}` };
      throw new OcrApiError({
        status: 401,
        code: "unauthenticated",
        message: "Not signed in: no token to send.",
        credential: "token",
      });
    }
    return this.options.apiKey ? { "x-api-key": this.options.apiKey } : {};
  }

  private async request<T>(path: string, init: RequestInit, signal?: AbortSignal): Promise<T> {
    const retries = this.options.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(path, init, signal);
      } catch (err) {
        const retryable =
          err instanceof OcrApiError && (err.status === 429 || err.status === 503 || err.code === "network_error");
        if (!retryable || attempt >= retries) throw err;
        const wait = Math.min(30, err.retryAfterSeconds ?? 2 ** attempt) * 1000;
        await sleep(wait, signal);
      }
    }
  }

  private async once<T>(path: string, init: RequestInit, signal?: AbortSignal): Promise<T> {
    const controller = new AbortController();
    const timeoutMs = this.options.timeoutMs ?? 180_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    if (signal?.aborted) controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const headers = { accept: "application/json", ...this.options.headers, ...(await this.authHeaders()) };
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.baseUrl}${path}`, { ...init, headers, signal: controller.signal });
      } catch (err) {
        if (timedOut) {
          throw new OcrApiError({ status: 0, code: "client_timeout", message: `No answer within ${timeoutMs / 1000} s.` });
        }
        if (signal?.aborted) throw aborted();
        throw new OcrApiError({
          status: 0,
          code: "network_error",
          message: `Could not reach the OCR service (${err instanceof Error ? err.message : String(err)}). Check the URL and CORS (ALLOWED_ORIGINS).`,
        });
      }
      if (!res.ok) {
        const credential = this.options.getToken ? "token" : this.options.apiKey ? "api-key" : null;
        throw await errorFromResponse(res, credential);
      }
      return (await res.json()) as T;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

function fileName(file: Blob, fallback?: string): string {
  const name = (file as Partial<File>).name;
  return typeof name === "string" && name ? name : fallback ?? "upload";
}

/** A message for people, from any error this client throws (for a toast or a form error). */
export function describeError(err: unknown): string {
  if (!(err instanceof OcrApiError)) return err instanceof Error ? err.message : String(err);
  switch (err.status) {
    case 401:
      // an API key does not expire by signing in: say which credential to fix
      if (err.credential === "api-key") return `The API key was not accepted: ${err.message} Check the key you were given.`;
      if (err.credential === null) return `This service needs an API key or a sign-in: ${err.message}`;
      return `Please sign in again. (${err.message})`;
    case 403:
      return `You are not allowed to do this. (${err.message})`;
    case 413:
    case 415:
      return err.message; // the service's own sentence already says what is too large or unsupported
    case 429:
      return `The service is busy; try again${err.retryAfterSeconds ? ` in ${err.retryAfterSeconds} s` : " shortly"}.`;
    case 503:
      return "The service is starting or restarting; try again shortly.";
    case 504:
      return "The document took too long; try fewer pages or a background job.";
    default:
      return err.message;
  }
}
