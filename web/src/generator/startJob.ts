/** `POST /api/generate`: starts a job over a seed file (multipart), or without one. */
import { api, data } from "../api/client";

/** Starts a job over `file`, or without one (null) when the pipeline starts with a seeder. */
export function startJob(pipelineId: number, file: File | null, concurrency?: number) {
  const form = new FormData();
  form.append("pipeline_id", String(pipelineId));
  if (concurrency !== undefined) form.append("concurrency", String(concurrency));
  if (file) form.append("file", file, file.name);
  // The typed body names the fields; the form carries them with the file.
  return data(api.POST("/api/generate", { body: { pipeline_id: pipelineId, concurrency }, bodySerializer: () => form }));
}
