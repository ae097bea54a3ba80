/**
 * How a Next.js (Amplify Gen2) app uses the client with the signed-in user's Cognito token.
 * Type-checked in CI with the client; see docs/amplify-integration.md for the whole walkthrough.
 *
 * In the app, `fetchAuthSession` is `import { fetchAuthSession } from "aws-amplify/auth"`; it is a
 * parameter here so that this file needs no Amplify packages to type-check.
 */
import { OcrApiError, OcrClient, describeError, type ExtractionResult, type OcrResult, type StructureResult } from "./ocrClient";

/** The part of Amplify's `AuthSession` this example uses. */
export interface AuthSessionLike {
  tokens?: { idToken?: { toString(): string }; accessToken: { toString(): string } } | undefined;
}
export type FetchAuthSession = (options?: { forceRefresh?: boolean }) => Promise<AuthSessionLike>;

/**
 * A client that sends the ID token (COGNITO_AUDIENCE = the app client id is matched against `aud`) or
 * the access token (matched against `client_id`). Amplify refreshes expired tokens inside fetchAuthSession.
 */
export function createOcrClient(
  fetchAuthSession: FetchAuthSession,
  baseUrl: string,
  token: "id" | "access" = "id",
): OcrClient {
  return new OcrClient({
    baseUrl,
    getToken: async () => {
      const { tokens } = await fetchAuthSession();
      return (token === "id" ? tokens?.idToken : tokens?.accessToken)?.toString();
    },
  });
}

export type Outcome<T> =
  | { ok: true; data: T }
  | { ok: false; status: number; code: string; message: string; requestId: string | null; retryAfterSeconds: number | null };

/** Run one call and turn every failure into something a page can show (the error handling to copy). */
export async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, data: await call() };
  } catch (err) {
    if (err instanceof OcrApiError) {
      return {
        ok: false,
        status: err.status,
        code: err.code,
        message: describeError(err),
        requestId: err.requestId,
        retryAfterSeconds: err.retryAfterSeconds,
      };
    }
    throw err;
  }
}

/** The three calls a document page makes, from a file chosen in an <input type="file">. */
export async function readInvoice(
  client: OcrClient,
  file: File,
): Promise<[Outcome<OcrResult>, Outcome<StructureResult>, Outcome<ExtractionResult>]> {
  return Promise.all([
    attempt(() => client.ocr(file, { lang: "korean" })),
    attempt(() => client.structure(file, { lang: "korean" })),
    attempt(() => client.extraction(file, { lang: "korean", template: "invoice" })),
  ]);
}

/** A large PDF as a background job, with progress for a progress bar. */
export async function readLargePdf(
  client: OcrClient,
  file: File,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<StructureResult> {
  return client.runJob(file, signal ? { task: "structure", lang: "korean", signal } : { task: "structure", lang: "korean" }, {
    onProgress: (job) => {
      if (job.progress) onProgress(job.progress.done, job.progress.total);
    },
  });
}
