/** A dataset's versions with their counts, fields and lineage; one is chosen to work on. */
import type { DatasetVersion } from "../api/schema";
import { describeLineage, fieldTypes } from "./lineage";

/** The table; `selected` is the chosen version's number. */
export function VersionTable({
  versions,
  selected,
  onSelect,
}: {
  versions: DatasetVersion[];
  selected: number | undefined;
  onSelect: (number: number) => void;
}) {
  return (
    <div className="table-wrap">
      <table data-testid="version-list">
        <thead>
          <tr>
            <th>Version</th>
            <th>Rows</th>
            <th>Made by</th>
            <th>From</th>
            <th>Fields</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((version) => (
            <tr
              key={version.id}
              data-version={version.number}
              className={version.number === selected ? "selected" : undefined}
              aria-selected={version.number === selected}
            >
              <td>
                <button type="button" aria-pressed={version.number === selected} onClick={() => onSelect(version.number)}>
                  v{version.number}
                </button>
              </td>
              <td data-testid="version-rows">{version.row_count}</td>
              <td data-testid="version-lineage">{describeLineage(version.lineage)}</td>
              <td>{version.parent === null ? "—" : `v${version.parent}`}</td>
              <td>
                {version.schema.fields.map((f) => (
                  <div key={f.name}>
                    <b>{f.name}</b> <span className="muted">{fieldTypes(f.types)}</span>
                  </div>
                ))}
              </td>
              <td>{new Date(version.created_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
