/** The pipelines' writes, typed by the generated client (the reads are in `api/queries.ts`). */
import { api, data } from "../api/client";
import type { PipelineDefinition } from "../api/schema";

/** The body of `POST`/`PUT /api/pipelines`. */
export interface PipelineInput {
  name: string;
  definition: PipelineDefinition;
}

/** Saves a new pipeline (validated by the server). */
export const createPipeline = (body: PipelineInput) => data(api.POST("/api/pipelines", { body }));

/** Replaces a pipeline (validated by the server). */
export const updatePipeline = (id: number, body: PipelineInput) =>
  data(api.PUT("/api/pipelines/{id}", { params: { path: { id } }, body }));

/** Deletes a pipeline with its jobs and records. */
export const deletePipeline = (id: number) => data(api.DELETE("/api/pipelines/{id}", { params: { path: { id } } }));

/** Saves a pipeline from a template. */
export const pipelineFromTemplate = (templateId: string) =>
  data(api.POST("/api/pipelines/from_template/{template_id}", { params: { path: { template_id: templateId } } }));

/** Runs a saved pipeline once on `state`. */
export const executePipeline = (id: number, state: Record<string, unknown>) =>
  data(api.POST("/api/pipelines/{id}/execute", { params: { path: { id } }, body: state }));
