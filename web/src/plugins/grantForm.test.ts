import { describe, expect, it } from "vitest";
import type { BlockInfo, Grant, ServerLimitValues } from "../api/schema";
import { LIMIT_FIELDS, formToGrant, grantTarget, grantToForm, limitHint } from "./grantForm";

const MIB = 1024 * 1024;

const grant: Grant = {
  capabilities: ["template", "llm", "log"],
  models: ["cheap-*", "default"],
  kv_quota: { max_keys: 10 },
  limits: { memory_bytes: 64 * MIB, cpu_time_ms: 1500 },
};

const server: { default: ServerLimitValues; maximum: ServerLimitValues } = {
  default: { memory_bytes: 128 * MIB, cpu_time_ms: 10_000, wall_clock_ms: 300_000, output_bytes: 16 * MIB, kv_max_keys: 1000, kv_max_bytes: 256 * MIB },
  maximum: { memory_bytes: 256 * MIB, cpu_time_ms: 40_000, wall_clock_ms: 1_200_000, output_bytes: 64 * MIB, kv_max_keys: 1000, kv_max_bytes: 256 * MIB },
};

describe("grant form", () => {
  it("shows a grant in the editor's units and reads it back unchanged", () => {
    const form = grantToForm(grant);
    expect(form).toMatchObject({ models: "cheap-*\ndefault", memoryMib: "64", cpuSecs: "1.5", wallClockSecs: "", outputMib: "", kvMaxKeys: "10", kvMaxMib: "" });
    expect(form.capabilities).toEqual(["llm", "log", "template"]);
    expect(formToGrant(form, server.maximum)).toEqual({ ...grant, capabilities: ["llm", "log", "template"] });
  });
  it("edits the kv quota: keys and MiB", () => {
    const form = { ...grantToForm(grant), kvMaxKeys: "500", kvMaxMib: "2.5" };
    expect(formToGrant(form, server.maximum)).toMatchObject({ kv_quota: { max_keys: 500, max_bytes: 2.5 * MIB } });
    expect(formToGrant({ ...form, kvMaxKeys: "" }, server.maximum)).toMatchObject({ kv_quota: { max_bytes: 2.5 * MIB } });
    expect(formToGrant({ ...form, kvMaxKeys: "2.5" }, server.maximum)).toEqual({
      error: "kv keys per namespace must be a positive whole number (or empty for the server's default)",
    });
  });
  it("drops empty model entries and empty limits", () => {
    const form = { ...grantToForm(grant), models: " a\n \nb \r\n", memoryMib: " ", cpuSecs: "", kvMaxKeys: "" };
    expect(formToGrant(form)).toEqual({ capabilities: ["llm", "log", "template"], models: ["a", "b"], kv_quota: {}, limits: {} });
  });
  it("keeps a pattern's commas: one pattern per line", () => {
    const braces = { ...grant, models: ["{openai,azure}/gpt-*", "cheap-[ab]"] };
    const form = grantToForm(braces);
    expect(form.models).toBe("{openai,azure}/gpt-*\ncheap-[ab]");
    expect(formToGrant(form)).toEqual({ ...braces, capabilities: ["llm", "log", "template"] });
  });
  it("keeps the http hosts, one per line, and the http limits it does not show", () => {
    const withHttp: Grant = { ...grant, capabilities: ["http", "log"], http: { allow: ["example.com", "https://x.org/docs/**"], timeout_ms: 500 } };
    const form = grantToForm(withHttp);
    expect(form.httpAllow).toBe("example.com\nhttps://x.org/docs/**");
    expect(formToGrant(form)).toEqual({ ...withHttp, capabilities: ["log", "http"] });
    const edited = { ...form, httpAllow: " localhost:8080 \n\n" };
    expect(formToGrant(edited)).toMatchObject({ http: { allow: ["localhost:8080"], timeout_ms: 500 } });
    expect(formToGrant({ ...grantToForm(grant), httpAllow: "" })).not.toHaveProperty("http");
  });
  it("names the limit that is not a positive number", () => {
    const form = { ...grantToForm(grant), wallClockSecs: "-3" };
    expect(formToGrant(form)).toEqual({ error: "Wall clock (s) must be a positive number (or empty for the server's default)" });
  });
  it("lets a limit go above the default up to the maximum, and names the maximum past it", () => {
    const form = { ...grantToForm(grant), memoryMib: "256", cpuSecs: "40" };
    expect(formToGrant(form, server.maximum)).toMatchObject({ limits: { memory_bytes: 256 * MIB, cpu_time_ms: 40_000 } });
    expect(formToGrant({ ...form, memoryMib: "257" }, server.maximum)).toEqual({ error: "Memory (MiB) is above this server's maximum of 256 MiB" });
    expect(formToGrant({ ...form, kvMaxKeys: "1001" }, server.maximum)).toEqual({ error: "kv keys per namespace is above this server's maximum of 1000 keys" });
  });
  it("round-trips limits that are not whole MiB or whole seconds exactly, a field edited or not", () => {
    const odd: Grant = {
      capabilities: ["llm", "log", "template"],
      models: ["a"],
      kv_quota: { max_keys: 7, max_bytes: 1.5 * MIB + 1 },
      limits: { memory_bytes: 1000, cpu_time_ms: 1501, wall_clock_ms: 1, output_bytes: 300 },
    };
    const form = grantToForm(odd);
    expect(form.memoryMib).not.toBe("0");
    expect(form.outputMib).not.toBe("0");
    expect(formToGrant(form, server.maximum)).toEqual(odd);
    // Saving after an unrelated edit keeps every stored number.
    expect(formToGrant({ ...form, models: "b" }, server.maximum)).toEqual({ ...odd, models: ["b"] });
    for (let bytes = 1; bytes <= 5000; bytes += 7) {
      const one = { ...odd, limits: { memory_bytes: bytes } };
      expect(formToGrant(grantToForm(one))).toEqual(one);
    }
  });
  it("accepts a maximum that is not whole MiB as its hint shows it, and nothing above", () => {
    const odd = { ...server.maximum, memory_bytes: 300 * MIB + 12_345 };
    const hint = limitHint(LIMIT_FIELDS[0], { default: server.default, maximum: odd });
    const shown = hint.replace(/^default \S+, max (\S+) MiB$/, "$1");
    expect(shown).not.toBe(hint);
    const form = { ...grantToForm(grant), memoryMib: shown };
    expect(formToGrant(form, odd)).toMatchObject({ limits: { memory_bytes: odd.memory_bytes } });
    const past = grantToForm({ ...grant, limits: { memory_bytes: odd.memory_bytes + 1 } });
    expect(formToGrant(past, odd)).toEqual({ error: `Memory (MiB) is above this server's maximum of ${shown} MiB` });
  });
  it("refuses a positive amount below one byte or one millisecond", () => {
    expect(formToGrant({ ...grantToForm(grant), memoryMib: "0.0000001" })).toEqual({
      error: "Memory (MiB) must be at least 1 byte (9.5367431640625e-7 MiB)",
    });
    expect(formToGrant({ ...grantToForm(grant), cpuSecs: "0.0004" })).toEqual({
      error: "CPU time (s) must be at least 1 ms (0.001 s)",
    });
    expect(formToGrant({ ...grantToForm(grant), cpuSecs: "0.0005" })).toMatchObject({ limits: { cpu_time_ms: 1 } });
  });
  it("hints each limit's default and maximum in the field's unit", () => {
    const hints = LIMIT_FIELDS.map((field) => limitHint(field, server));
    expect(hints).toEqual([
      "default 128, max 256 MiB",
      "default 10, max 40 s",
      "default 300, max 1200 s",
      "default 16, max 64 MiB",
      "default 1000, max 1000 keys",
      "default 256, max 256 MiB",
    ]);
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
