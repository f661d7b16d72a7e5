import { useState } from "react";
import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { PluginGrants } from "../api/schema";
import { GrantFields } from "./GrantsEditor";
import { type GrantForm, formToGrant, grantToForm } from "./grantForm";

const MIB = 1024 * 1024;

const shown: PluginGrants = {
  plugin: "big",
  kind: "plugin",
  stored: true,
  grant: { capabilities: ["log", "kv"], models: [], kv_quota: { max_keys: 10 }, limits: { memory_bytes: 64 * MIB } },
  default: { capabilities: ["log", "template", "kv"], models: [], kv_quota: {}, limits: {} },
  declared: ["kv"],
  server_limits: {
    default: { memory_bytes: 128 * MIB, cpu_time_ms: 10_000, wall_clock_ms: 300_000, output_bytes: 16 * MIB, kv_max_keys: 1000, kv_max_bytes: 256 * MIB },
    maximum: { memory_bytes: 256 * MIB, cpu_time_ms: 40_000, wall_clock_ms: 1_200_000, output_bytes: 64 * MIB, kv_max_keys: 1000, kv_max_bytes: 256 * MIB },
  },
};

/** The fields with their form kept in state, as the editor keeps it; `seen` gets each form. */
function Harness({ seen }: { seen: GrantForm[] }) {
  const [form, setForm] = useState(() => grantToForm(shown.grant));
  seen.push(form);
  return <GrantFields shown={shown} form={form} onChange={(change) => setForm({ ...form, ...change })} />;
}

describe("GrantFields", () => {
  it("shows each limit and the kv quota with the server's default and maximum", () => {
    render(<Harness seen={[]} />);
    expect(screen.getByLabelText(/^Memory \(MiB\)/)).toHaveValue("64");
    expect(screen.getByLabelText(/^Memory \(MiB\)/).closest("label")).toHaveTextContent("default 128, max 256 MiB");
    expect(screen.getByLabelText(/^CPU time \(s\)/).closest("label")).toHaveTextContent("default 10, max 40 s");
    expect(screen.getByLabelText(/^Wall clock \(s\)/).closest("label")).toHaveTextContent("default 300, max 1200 s");
    expect(screen.getByLabelText(/^Output \(MiB\)/).closest("label")).toHaveTextContent("default 16, max 64 MiB");
    expect(screen.getByLabelText(/^kv keys per namespace/)).toHaveValue("10");
    expect(screen.getByLabelText(/^kv size per namespace/)).toHaveValue("");
  });

  it("edits the kv quota and a limit above the default into the grant it saves", async () => {
    const seen: GrantForm[] = [];
    const user = userEvent.setup();
    render(<Harness seen={seen} />);
    const keys = screen.getByLabelText(/^kv keys per namespace/);
    await user.clear(keys);
    await user.type(keys, "500");
    await user.type(screen.getByLabelText(/^kv size per namespace/), "4");
    const memory = screen.getByLabelText(/^Memory \(MiB\)/);
    await user.clear(memory);
    await user.type(memory, "200");
    const last = seen[seen.length - 1];
    expect(formToGrant(last, shown.server_limits.maximum)).toEqual({
      capabilities: ["kv", "log"],
      models: [],
      kv_quota: { max_keys: 500, max_bytes: 4 * MIB },
      limits: { memory_bytes: 200 * MIB },
    });
    await user.type(memory, "0");
    expect(formToGrant(seen[seen.length - 1], shown.server_limits.maximum)).toEqual({
      error: "Memory (MiB) is above this server's maximum of 256 MiB",
    });
  });
});
