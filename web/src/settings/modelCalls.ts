/**
 * The model registries' endpoints (`/api/llm-models`, `/api/embedding-models`: the same
 * routes under two prefixes), typed by the generated client.
 */
import { api, data } from "../api/client";
import type { ModelInput } from "../api/schema";

/** Which registry: chat models or embedding models. */
export type ModelKind = "llm" | "embedding";

/** The providers the server accepts (`ModelInput.provider`). */
export const PROVIDERS = ["openai", "anthropic", "gemini", "ollama"] as const;

/** A provider name. */
export type Provider = (typeof PROVIDERS)[number];

/** Registers a model. */
export const createModel = (kind: ModelKind, body: ModelInput) =>
  data(kind === "llm" ? api.POST("/api/llm-models", { body }) : api.POST("/api/embedding-models", { body }));

/** Updates a model (omitted fields and a masked key keep their stored values). */
export const updateModel = (kind: ModelKind, name: string, body: ModelInput) => {
  const params = { path: { name } };
  return data(kind === "llm" ? api.PUT("/api/llm-models/{name}", { params, body }) : api.PUT("/api/embedding-models/{name}", { params, body }));
};

/** Deletes a model. */
export const deleteModel = (kind: ModelKind, name: string) => {
  const params = { path: { name } };
  return data(kind === "llm" ? api.DELETE("/api/llm-models/{name}", { params }) : api.DELETE("/api/embedding-models/{name}", { params }));
};

/** Makes a model its kind's default. */
export const setDefaultModel = (kind: ModelKind, name: string) => {
  const params = { path: { name } };
  return data(
    kind === "llm" ? api.PUT("/api/llm-models/{name}/default", { params }) : api.PUT("/api/embedding-models/{name}/default", { params }),
  );
};

/** Sends one real request to a model (saved, or as given) and reports the latency. */
export const testModel = (kind: ModelKind, body: ModelInput) =>
  data(kind === "llm" ? api.POST("/api/llm-models/test", { body }) : api.POST("/api/embedding-models/test", { body }));
