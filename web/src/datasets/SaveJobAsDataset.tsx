/** Saves a finished job's records as a new dataset version (`POST /api/datasets/{name}/from-job`). */
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { queryKeys } from "../api/queryKeys";
import { Link } from "react-router-dom";
import type { DatasetVersion } from "../api/schema";
import { saveJobRecords } from "./calls";
import type { JobRecordChoice } from "./formats";
import { ErrorMessage } from "../components/RequestState";
import { versionLabel } from "./lineage";
import { nameProblem } from "./naming";
import { datasetPath } from "./paths";

/** The small form under a job card. */
export function SaveJobAsDataset({ jobId }: { jobId: number }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(`job-${jobId}`);
  const [records, setRecords] = useState<JobRecordChoice>("accepted");
  const client = useQueryClient();
  const saving = useMutation({
    mutationFn: () => saveJobRecords(name, jobId, records),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.datasets }),
  });
  const busy = saving.isPending;
  const error = saving.error;
  const saved: DatasetVersion | null = saving.data ?? null;
  const problem = nameProblem(name);
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Save as dataset
      </button>
    );
  }
  const save = () => saving.mutate();
  return (
    <form
      className="row"
      aria-label={`Save job ${jobId} as a dataset`}
      onSubmit={(event) => {
        event.preventDefault();
        if (!busy && !problem) save();
      }}
    >
      <label>
        Dataset name
        <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={problem !== null} />
      </label>
      <label>
        Records
        <select value={records} onChange={(e) => setRecords(e.target.value as JobRecordChoice)}>
          <option value="accepted">accepted or edited</option>
          <option value="all">every completed, not rejected</option>
        </select>
      </label>
      <button type="submit" className="primary" disabled={busy || problem !== null}>
        {busy ? "Saving…" : "Save"}
      </button>
      {problem && <p className="bad">{problem}</p>}
      <ErrorMessage error={error} />
      {saved && (
        <p className="ok" role="status" data-testid="job-dataset-saved">
          Saved{" "}
          <Link to={datasetPath(saved.dataset, saved.number)}>{versionLabel(saved)}</Link>
        </p>
      )}
    </form>
  );
}
