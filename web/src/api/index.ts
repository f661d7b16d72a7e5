/** The API client: the typed openapi-fetch client, its middleware, the queries and the schema types. */
export * from "./apiKey";
export * from "./client";
export * from "./errors";
export * from "./links";
export * from "./queries";
export * from "./queryKeys";
export * from "./schema";
export * from "./sse";
export * from "./usage";
