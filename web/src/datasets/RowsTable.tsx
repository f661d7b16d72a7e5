/** Rows of a dataset as a table: one column per field, long values cut short. */
import type { DatasetRecord } from "./formats";

/** The longest text a cell shows. */
const CELL_CHARS = 160;

/** A value as one short line of text. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text;
}

/** The table; `onEdit` adds an Edit button per row. */
export function RowsTable({
  rows,
  fields,
  testId,
  onEdit,
}: {
  rows: { position: number; row: DatasetRecord }[];
  /** The columns, in order. */
  fields: string[];
  testId: string;
  onEdit?: (position: number) => void;
}) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th>#</th>
            {fields.map((field) => (
              <th key={field}>{field}</th>
            ))}
            {onEdit && <th />}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ position, row }) => (
            <tr key={position} data-position={position}>
              <td>{position}</td>
              {fields.map((field) => (
                <td key={field}>{cellText(row[field])}</td>
              ))}
              {onEdit && (
                <td>
                  <button type="button" onClick={() => onEdit(position)}>
                    Edit row {position}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
