/**
 * What the pages read, as TanStack Query options: each resource's key (from `queryKeys`) with
 * its typed openapi-fetch call. Pages pass these to `useQuery` and add their own polling.
 */
import { queryOptions } from "@tanstack/react-query";
import { api, data, page } from "./client";
import { queryKeys, type RecordFilter } from "./queryKeys";

/** Every block with its schema and source. */
export const blocksQuery = () =>
  queryOptions({ queryKey: queryKeys.blocks, queryFn: ({ signal }) => data(api.GET("/api/blocks", { signal })) });

/** Every `.wasm` of the plugins folder, loaded or failed. */
export const pluginsQuery = () =>
  queryOptions({ queryKey: queryKeys.plugins, queryFn: ({ signal }) => data(api.GET("/api/plugins", { signal })) });

/** What the operator grants plugin `name` (of `kind`). */
export const grantsQuery = (name: string, kind: "builtin" | "plugin") =>
  queryOptions({
    queryKey: queryKeys.grants(name, kind),
    queryFn: ({ signal }) =>
      data(api.GET("/api/plugins/{name}/grants", { params: { path: { name }, query: { kind } }, signal })),
  });

/** Every server-wide setting. */
export const settingsQuery = () =>
  queryOptions({ queryKey: queryKeys.settings, queryFn: ({ signal }) => data(api.GET("/api/settings", { signal })) });

/** Every named API key, oldest first. */
export const apiKeysQuery = () =>
  queryOptions({
    queryKey: queryKeys.apiKeys,
    queryFn: ({ signal }) => data(api.GET("/api/settings/api-keys", { signal })),
  });

/** The template gallery. */
export const templatesQuery = () =>
  queryOptions({ queryKey: queryKeys.templates, queryFn: ({ signal }) => data(api.GET("/api/templates", { signal })) });

/** Every saved pipeline. */
export const pipelinesQuery = () =>
  queryOptions({ queryKey: queryKeys.pipelines, queryFn: ({ signal }) => data(api.GET("/api/pipelines", { signal })) });

/** One pipeline. */
export const pipelineQuery = (id: number) =>
  queryOptions({
    queryKey: queryKeys.pipeline(id),
    queryFn: ({ signal }) => data(api.GET("/api/pipelines/{id}", { params: { path: { id } }, signal })),
  });

/** The state fields after each block of pipeline `id` and those its seeds must give. */
export const stateSchemaQuery = (id: number) =>
  queryOptions({
    queryKey: queryKeys.stateSchema(id),
    queryFn: ({ signal }) =>
      data(api.GET("/api/pipelines/{id}/accumulated_state_schema", { params: { path: { id } }, signal })),
  });

/** Jobs, newest first (of one pipeline when given). */
export const jobsQuery = (pipelineId?: number) =>
  queryOptions({
    queryKey: queryKeys.jobList(pipelineId),
    queryFn: ({ signal }) => data(api.GET("/api/jobs", { params: { query: { pipeline_id: pipelineId } }, signal })),
  });

/** Jobs still running (`/api/jobs/active` is DataGenFlow's one running job, 404 when none). */
export const runningJobsQuery = () =>
  queryOptions({
    queryKey: queryKeys.runningJobs,
    queryFn: ({ signal }) => data(api.GET("/api/jobs", { params: { query: { status: "running" } }, signal })),
  });

/** One job, with its quality report. */
export const jobQuery = (id: number) =>
  queryOptions({
    queryKey: queryKeys.job(id),
    queryFn: ({ signal }) => data(api.GET("/api/jobs/{id}", { params: { path: { id } }, signal })),
  });

/** A page of records with the total. */
export const recordPageQuery = (filter: RecordFilter & { limit: number; offset: number }) =>
  queryOptions({
    queryKey: queryKeys.recordPage(filter),
    queryFn: ({ signal }) => page(api.GET("/api/records", { params: { query: filter }, signal })),
  });

/** Registered models of a kind. */
export const modelsQuery = (kind: "llm" | "embedding") =>
  queryOptions({
    queryKey: queryKeys.models(kind),
    queryFn: ({ signal }) =>
      data(kind === "llm" ? api.GET("/api/llm-models", { signal }) : api.GET("/api/embedding-models", { signal })),
  });

/** Every dataset, by name. */
export const datasetsQuery = () =>
  queryOptions({ queryKey: queryKeys.datasets, queryFn: ({ signal }) => data(api.GET("/api/datasets", { signal })) });

/** One dataset's versions (404 when there is none of that name). */
export const datasetQuery = (name: string) =>
  queryOptions({
    queryKey: queryKeys.dataset(name),
    queryFn: ({ signal }) => data(api.GET("/api/datasets/{name}", { params: { path: { name } }, signal })),
  });
