/** `POST /api/plugins`: uploads a `.wasm` component into the plugins folder (multipart). */
import { api, data } from "../api/client";

/**
 * Uploads `file`. A block type another plugin file provides answers 409 (`detail.provided_by`
 * names that file) unless `replace` is set; a builtin's type always answers 409 (only the
 * server's `PLUGIN_OVERRIDES` allows it).
 */
export function uploadPlugin(file: File, replace = false) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (replace) form.append("replace", "true");
  // The typed body names the fields; the form carries them with the file.
  return data(api.POST("/api/plugins", { body: { file: file.name, replace }, bodySerializer: () => form }));
}
