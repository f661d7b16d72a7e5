/**
 * Writes src/api/openapi.gen.ts from src/api/openapi.json (openapi-typescript).
 *
 * The server's document reuses operation ids (every module's `list`, `get`, `delete`...), and
 * openapi-typescript keys operations by id: each path would point at whichever operation of
 * that id came last (`/api/blocks` typed as `/api/datasets`). The client is typed by `paths`
 * and never by operation id, so the ids are dropped before generating: every path then
 * carries its own operation's parameters, bodies and answers.
 *
 * A schema `{"type": "object"}` with no properties allows any properties (JSON Schema), which
 * `emptyObjectsUnknown` keeps (openapi-typescript 6 would make it an object with none).
 */
import { readFile, writeFile } from "node:fs/promises";
import openapiTS from "openapi-typescript";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const source = new URL("../src/api/openapi.json", import.meta.url);
const target = new URL("../src/api/openapi.gen.ts", import.meta.url);

const document = JSON.parse(await readFile(source, "utf8"));
for (const item of Object.values(document.paths ?? {})) {
  for (const method of METHODS) {
    if (item[method]) delete item[method].operationId;
  }
}
await writeFile(target, await openapiTS(document, { emptyObjectsUnknown: true }));
console.log(`wrote ${target.pathname}`);
