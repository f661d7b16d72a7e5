/**
 * Datasets: upload a file (preview and detected format first), list datasets and their
 * versions with lineage, browse and edit rows, convert, merge, sample and split (each makes
 * a new version, linked), export and the dataset card. `?name=&version=` choose what is shown.
 */
import { useCallback, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { datasetQuery, datasetsQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { DatasetSummary, DatasetVersion } from "../api/schema";
import { ErrorMessage, Loading, QueryState } from "../components/RequestState";
import { deleteDataset } from "./calls";
import { ConvertForm } from "./ConvertForm";
import { ExportPanel } from "./ExportPanel";
import { MergeForm } from "./MergeForm";
import { datasetPath } from "./paths";
import { RowBrowser } from "./RowBrowser";
import { SampleForm } from "./SampleForm";
import { SplitForm } from "./SplitForm";
import { UploadPanel } from "./UploadPanel";
import { VersionTable } from "./VersionTable";

/** Every dataset, each linking to its versions. */
function DatasetList({ datasets, selected }: { datasets: DatasetSummary[]; selected: string | null }) {
  if (datasets.length === 0) return <p className="muted">No datasets yet: upload a file, or save a job's records from the Generator.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="dataset-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Newest version</th>
            <th>Rows</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {datasets.map((d) => (
            <tr key={d.id} data-dataset={d.name} className={d.name === selected ? "selected" : undefined}>
              <td>
                <Link to={datasetPath(d.name)}>{d.name}</Link>
              </td>
              <td>v{d.latest_version}</td>
              <td>{d.row_count}</td>
              <td>{new Date(d.updated_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Delete", then "Yes, delete NAME" or "Keep". */
function DeleteDataset({ name, onDeleted }: { name: string; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const client = useQueryClient();
  const deleting = useMutation({
    mutationFn: () => deleteDataset(name),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.datasets });
      onDeleted();
    },
  });
  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        Delete
      </button>
    );
  }
  return (
    <span className="actions" style={{ marginTop: 0 }}>
      <button
        type="button"
        className="danger"
        onClick={() => deleting.mutate()}
        disabled={deleting.isPending}
      >
        Yes, delete {name}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Keep
      </button>
      <ErrorMessage error={deleting.error} />
    </span>
  );
}

/** One dataset: its versions, and the chosen version's rows, operations and export. */
function DatasetDetail({
  name,
  versionParam,
  datasets,
  onMade,
  onDeleted,
}: {
  name: string;
  versionParam: number | undefined;
  datasets: DatasetSummary[];
  onMade: (made: DatasetVersion[]) => void;
  onDeleted: () => void;
}) {
  const [params, setParams] = useSearchParams();
  const detail = useQuery(datasetQuery(name));
  return (
    <section aria-label={`Dataset ${name}`} data-testid="dataset-detail" data-dataset={name}>
      <div className="row" style={{ alignItems: "center", justifyContent: "space-between" }}>
        <h2>{name}</h2>
        <DeleteDataset name={name} onDeleted={onDeleted} />
      </div>
      <QueryState query={detail}>
        {({ versions }) => {
          const version = versions.find((v) => v.number === versionParam) ?? versions[versions.length - 1];
          if (!version) return <p className="muted">This dataset has no version.</p>;
          const select = (number: number) => {
            const next = new URLSearchParams(params);
            next.set("version", String(number));
            setParams(next, { replace: true });
          };
          return (
            <>
              <VersionTable versions={versions} selected={version.number} onSelect={select} />
              <h3 data-testid="selected-version" data-version={version.number}>
                Version {version.number} · {version.row_count} rows
              </h3>
              <RowBrowser version={version} onEdited={(made) => onMade([made])} />
              <h3>Operations on v{version.number}</h3>
              {/* Not keyed by version: a convert's result stays shown once the page moves to the
                  version it made. */}
              <div className="grid">
                <ConvertForm version={version} onMade={onMade} />
                <MergeForm version={version} datasets={datasets} onMade={onMade} />
                <SampleForm version={version} onMade={onMade} />
                <SplitForm version={version} onMade={onMade} />
              </div>
              <ExportPanel key={`export-${version.id}`} version={version} />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

/** The datasets page. */
export function DatasetsPage() {
  const [params, setParams] = useSearchParams();
  const name = params.get("name");
  const versionNumber = Number(params.get("version"));
  const versionParam = Number.isInteger(versionNumber) && versionNumber > 0 ? versionNumber : undefined;
  const client = useQueryClient();
  const datasets = useQuery(datasetsQuery());
  const reload = useCallback(() => void client.invalidateQueries({ queryKey: queryKeys.datasets }), [client]);

  // A new version of the dataset shown is shown; others are linked from the operation's result.
  // (The operations invalidate the datasets queries themselves.)
  const onMade = useCallback(
    (made: DatasetVersion[]) => {
      const same = made.find((v) => v.dataset === name);
      if (same) setParams(new URLSearchParams({ name: same.dataset, version: String(same.number) }), { replace: true });
    },
    [name, setParams],
  );

  return (
    <section>
      <h1>Datasets</h1>
      <UploadPanel
        onSaved={(version) => {
          reload();
          setParams(new URLSearchParams({ name: version.dataset, version: String(version.number) }));
        }}
      />
      <h2>All datasets</h2>
      <ErrorMessage error={datasets.error} onRetry={reload} />
      {datasets.isPending && <Loading label="Loading datasets…" />}
      {datasets.data && <DatasetList datasets={datasets.data} selected={name} />}
      {name && datasets.data && (
        <DatasetDetail
          key={name}
          name={name}
          versionParam={versionParam}
          datasets={datasets.data}
          onMade={onMade}
          onDeleted={() => setParams(new URLSearchParams())}
        />
      )}
    </section>
  );
}
