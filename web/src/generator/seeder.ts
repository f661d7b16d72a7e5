/**
 * Whether a pipeline can run without a seed file: its first block is a seeder (a multiplier of
 * category `seeders` that reads no seed field, such as ScenarioSampler), as the server decides
 * for `POST /api/generate` without a file (host/src/engine/seedless.rs).
 */
import type { BlockInfo, Pipeline } from "../api/schema";

/** The seeder that makes `pipeline`'s runs, or null when it needs a seed file. */
export function seederOf(pipeline: Pipeline | undefined, blocks: BlockInfo[] | undefined): BlockInfo | null {
  const first = pipeline?.definition.blocks[0];
  if (!first || !blocks) return null;
  const info = blocks.find((b) => b.type === first.type);
  if (!info || info.kind !== "multiplier" || info.category !== "seeders" || info.inputs.length > 0) return null;
  return info;
}
