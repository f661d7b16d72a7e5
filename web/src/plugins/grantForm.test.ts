import { describe, expect, it } from "vitest";
import type { BlockInfo, Grant } from "../api/types";
import { formToGrant, grantTarget, grantToForm } from "./grantForm";

const grant: Grant = {
  capabilities: ["template", "llm", "log"],
  models: ["cheap-*", "default"],
  kv_quota: { max_keys: 10 },
  limits: { memory_bytes: 64 * 1024 * 1024, cpu_time_ms: 1500 },
};

describe("grant form", () => {
  it("shows a grant in the editor's units and reads it back unchanged", () => {
    const form = grantToForm(grant);
    expect(form).toMatchObject({ models: "cheap-*\ndefault", memoryMib: "64", cpuSecs: "1.5", wallClockSecs: "", outputMib: "" });
    expect(form.capabilities).toEqual(["llm", "log", "template"]);
    expect(formToGrant(form, grant)).toEqual({ ...grant, capabilities: ["llm", "log", "template"] });
  });
  it("drops empty model entries and empty limits", () => {
    const form = { ...grantToForm(grant), models: " a\n \nb \r\n", memoryMib: " ", cpuSecs: "" };
    expect(formToGrant(form, grant)).toEqual({ capabilities: ["llm", "log", "template"], models: ["a", "b"], kv_quota: { max_keys: 10 }, limits: {} });
  });
  it("keeps a pattern's commas: one pattern per line", () => {
    const braces = { ...grant, models: ["{openai,azure}/gpt-*", "cheap-[ab]"] };
    const form = grantToForm(braces);
    expect(form.models).toBe("{openai,azure}/gpt-*\ncheap-[ab]");
    expect(formToGrant(form, braces)).toEqual({ ...braces, capabilities: ["llm", "log", "template"] });
  });
  it("names the limit that is not a positive number", () => {
    const form = { ...grantToForm(grant), wallClockSecs: "-3" };
    expect(formToGrant(form, grant)).toEqual({ error: "Wall clock (s) must be a positive number (or empty for the server's default)" });
  });
});

describe("grantTarget", () => {
  it("names a builtin by its crate and a plugin by its file stem", () => {
    const builtin = { source: { kind: "builtin", crate_name: "text_generator" } } as BlockInfo;
    const plugin = { source: { kind: "plugin", path: "/srv/plugins/greedy.wasm" } } as BlockInfo;
    expect(grantTarget(builtin)).toEqual({ name: "text_generator", kind: "builtin" });
    expect(grantTarget(plugin)).toEqual({ name: "greedy", kind: "plugin" });
  });
});
