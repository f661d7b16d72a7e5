/**
 * Downloads through the API client: a plain link cannot send the `Authorization` header, so
 * with an API key stored a download link's click fetches the file and saves it from memory.
 */
import { useCallback, useState, type MouseEvent } from "react";
import { apiFetch, storedApiKey } from "../api/client";

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

/** Fetches `url` with the API key and saves the answer as a file named by the server. */
export async function downloadThroughApi(url: string, fallbackName: string): Promise<void> {
  const response = await apiFetch(url);
  saveBlob(await response.blob(), downloadName(response, fallbackName));
}

/**
 * A download link's click handler and its error: with no API key stored the link downloads
 * itself; with one, the click downloads through the API client.
 */
export function useApiDownload(): {
  error: unknown;
  onClick: (event: MouseEvent<HTMLAnchorElement>, url: string, fallbackName: string) => Promise<void>;
} {
  const [error, setError] = useState<unknown>(null);
  const onClick = useCallback(async (event: MouseEvent<HTMLAnchorElement>, url: string, fallbackName: string) => {
    if (!storedApiKey()) return;
    event.preventDefault();
    try {
      await downloadThroughApi(url, fallbackName);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  return { error, onClick };
}
