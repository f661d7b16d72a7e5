/** The API client: the fetch wrapper, the endpoints, the job stream and the JSON types. */
export * from "./client";
export * from "./endpoints";
export * from "./sse";
export * from "./types";
export * from "./usage";
