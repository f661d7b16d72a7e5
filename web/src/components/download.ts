/**
 * Downloads through the API client: a plain link cannot send the `Authorization` header, so
 * with an API key stored a download link's click fetches the file and saves it from memory.
 */
import { useCallback, useState, type MouseEvent } from "react";
import { storedApiKey } from "../api/apiKey";

/** The file name the server gives (Content-Disposition), else `fallback`. */
export function downloadName(response: Response, fallback: string): string {
  const header = response.headers.get("Content-Disposition") ?? "";
  const match = /filename="?([^";]+)"?/i.exec(header);
  return match ? match[1] : fallback;
}

/** Offers `blob` as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A typed client call that reads a file (`parseAs: "blob"`). */
export type FileCall = () => Promise<{ data?: Blob; response: Response }>;

/** Runs `call` (the middleware sends the key) and saves the file under the server's name. */
export async function downloadThroughApi(call: FileCall, fallbackName: string): Promise<void> {
  const { data, response } = await call();
  saveBlob(data ?? new Blob([]), downloadName(response, fallbackName));
}

/**
 * A download link's click handler and its error: with no API key stored the link downloads
 * itself; with one, the click downloads through the API client.
 */
export function useApiDownload(): {
  error: unknown;
  onClick: (event: MouseEvent<HTMLAnchorElement>, call: FileCall, fallbackName: string) => Promise<void>;
} {
  const [error, setError] = useState<unknown>(null);
  const onClick = useCallback(async (event: MouseEvent<HTMLAnchorElement>, call: FileCall, fallbackName: string) => {
    if (!storedApiKey()) return;
    event.preventDefault();
    try {
      await downloadThroughApi(call, fallbackName);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  return { error, onClick };
}
