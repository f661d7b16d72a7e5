/** The file formats and chat formats the datasets endpoints read and write. */
import type { FileFormat } from "../api/schema";

/** Every file format, in the order the UI offers them. */
export const FILE_FORMATS: readonly FileFormat[] = ["jsonl", "json", "csv", "parquet"];

/** The chat and instruction formats `convert` reads and writes (the server's `Format::ALL`). */
export const CHAT_FORMATS = ["openai", "sharegpt", "alpaca", "alpaca_system", "chatml", "vicuna", "llama3"] as const;

/** One chat or instruction format. */
export type ChatFormat = (typeof CHAT_FORMATS)[number];

/** Which records of a job to save. */
export type JobRecordChoice = "accepted" | "all";

/** A row of a dataset. */
export type DatasetRecord = Record<string, unknown>;
