/**
 * Datasets: upload a file (preview and detected format first), list datasets and their
 * versions with lineage, browse and edit rows, convert, merge, sample and split (each makes
 * a new version, linked), export and the dataset card. `?name=&version=` choose what is shown.
 */
import { useCallback, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { deleteDataset, getDataset, listDatasets, type DatasetSummary, type DatasetVersion } from "../api/datasets";
import { ErrorMessage, Loading, RequestState } from "../components/RequestState";
import { useRequest } from "../components/useRequest";
import { ConvertForm } from "../datasets/ConvertForm";
import { ExportPanel } from "../datasets/ExportPanel";
import { MergeForm } from "../datasets/MergeForm";
import { datasetPath } from "../datasets/paths";
import { RowBrowser } from "../datasets/RowBrowser";
import { SampleForm } from "../datasets/SampleForm";
import { SplitForm } from "../datasets/SplitForm";
import { UploadPanel } from "../datasets/UploadPanel";
import { VersionTable } from "../datasets/VersionTable";

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
  const [error, setError] = useState<unknown>(null);
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
        onClick={() =>
          deleteDataset(name)
            .then(onDeleted)
            .catch(setError)
        }
      >
        Yes, delete {name}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Keep
      </button>
      <ErrorMessage error={error} />
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
  const detail = useRequest((signal) => getDataset(name, signal), [name, datasets]);
  return (
    <section aria-label={`Dataset ${name}`} data-testid="dataset-detail" data-dataset={name}>
      <div className="row" style={{ alignItems: "center", justifyContent: "space-between" }}>
        <h2>{name}</h2>
        <DeleteDataset name={name} onDeleted={onDeleted} />
      </div>
      <RequestState loading={detail.loading} error={detail.error} data={detail.data} onRetry={detail.reload}>
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
      </RequestState>
    </section>
  );
}

/** The datasets page. */
export function DatasetsPage() {
  const [params, setParams] = useSearchParams();
  const name = params.get("name");
  const versionNumber = Number(params.get("version"));
  const versionParam = Number.isInteger(versionNumber) && versionNumber > 0 ? versionNumber : undefined;
  const datasets = useRequest((signal) => listDatasets(signal), []);
  const { reload } = datasets;

  // A new version of the dataset shown is shown; others are linked from the operation's result.
  const onMade = useCallback(
    (made: DatasetVersion[]) => {
      reload();
      const same = made.find((v) => v.dataset === name);
      if (same) setParams(new URLSearchParams({ name: same.dataset, version: String(same.number) }), { replace: true });
    },
    [name, reload, setParams],
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
      {!datasets.data && datasets.loading && <Loading label="Loading datasets…" />}
      {datasets.data && <DatasetList datasets={datasets.data} selected={name} />}
      {name && datasets.data && (
        <DatasetDetail
          key={name}
          name={name}
          versionParam={versionParam}
          datasets={datasets.data}
          onMade={onMade}
          onDeleted={() => {
            reload();
            setParams(new URLSearchParams());
          }}
        />
      )}
    </section>
  );
}
