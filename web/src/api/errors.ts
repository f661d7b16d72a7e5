/** A failed request as the pages show it: the server's `{"error", "detail"}` and the status. */

/** A failed request: the server's message, its detail and the HTTP status (0: no answer). */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: Record<string, unknown>;

  constructor(message: string, status: number, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

/** Reads an error answer into an ApiError, whatever its body holds. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  const fallback = `${response.status} ${response.statusText || "request failed"}`.trim();
  if (!text) return new ApiError(fallback, response.status);
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && "error" in body) {
      const { error, detail } = body as { error: unknown; detail?: unknown };
      const message = typeof error === "string" && error ? error : fallback;
      const details =
        detail && typeof detail === "object" && !Array.isArray(detail)
          ? (detail as Record<string, unknown>)
          : detail === undefined || detail === null
            ? {}
            : { value: detail };
      return new ApiError(message, response.status, details);
    }
  } catch {
    // Not JSON: keep the text as the detail.
  }
  return new ApiError(fallback, response.status, { message: text.slice(0, 2000) });
}

/** Whether `error` is a fetch aborted through its signal (not a failure to show). */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
