/** Saving a value as a JSON file from the browser. */
import { saveBlob } from "../components/download";

/** Offers `value` as a download named `fileName`. */
export function downloadJson(fileName: string, value: unknown): void {
  saveBlob(new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: "application/json" }), fileName);
}
