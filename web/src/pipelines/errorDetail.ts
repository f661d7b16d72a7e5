/** Errors shown with parts of their detail left out (the page shows those parts better). */
import { ApiError } from "../api/errors";

/** `error` without the detail `keys`; other errors unchanged. */
export function withoutDetail(error: unknown, keys: string[]): unknown {
  if (!(error instanceof ApiError)) return error;
  const detail = Object.fromEntries(Object.entries(error.detail).filter(([key]) => !keys.includes(key)));
  return new ApiError(error.message, error.status, detail);
}
