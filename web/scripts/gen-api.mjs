/**
 * Writes src/api/openapi.gen.ts from src/api/openapi.json (openapi-typescript).
 *
 * The server names each operation after its method and path (`get_api_datasets_name_export`),
 * unique as openapi-typescript needs: it keys operations by id, so two operations sharing one
 * would type one path with the other's answers (a test on the server keeps them unique).
 *
 * A schema `{"type": "object"}` with no properties allows any properties (JSON Schema), which
 * `emptyObjectsUnknown` keeps (openapi-typescript 6 would make it an object with none).
 */
import { readFile, writeFile } from "node:fs/promises";
import openapiTS from "openapi-typescript";

const source = new URL("../src/api/openapi.json", import.meta.url);
const target = new URL("../src/api/openapi.gen.ts", import.meta.url);

const document = JSON.parse(await readFile(source, "utf8"));
await writeFile(target, await openapiTS(document, { emptyObjectsUnknown: true }));
console.log(`wrote ${target.pathname}`);
