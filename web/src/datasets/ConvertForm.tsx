/** Convert: every row of the version from one chat or instruction format to another. */
import { useState } from "react";
import type { DatasetVersion } from "../api/schema";
import { convertDataset } from "./calls";
import { CHAT_FORMATS, type ChatFormat } from "./formats";
import { Options } from "./fields";
import { OperationCard } from "./OperationCard";
import { useOperation } from "./useOperation";

/** The convert form of `version`. */
export function ConvertForm({ version, onMade }: { version: DatasetVersion; onMade: (made: DatasetVersion[]) => void }) {
  const state = useOperation(onMade);
  const [from, setFrom] = useState<ChatFormat | "auto">("auto");
  const [to, setTo] = useState<ChatFormat>("sharegpt");
  return (
    <OperationCard
      title="Convert"
      operation="convert"
      state={state}
      action="Convert"
      onSubmit={() => state.run(() => convertDataset(version.dataset, version.number, from === "auto" ? null : from, to))}
    >
      <label>
        From
        <select value={from} onChange={(e) => setFrom(e.target.value as ChatFormat | "auto")}>
          <option value="auto">detect from the first row</option>
          <Options values={CHAT_FORMATS} />
        </select>
      </label>
      <label>
        To
        <select value={to} onChange={(e) => setTo(e.target.value as ChatFormat)}>
          <Options values={CHAT_FORMATS} />
        </select>
      </label>
    </OperationCard>
  );
}
