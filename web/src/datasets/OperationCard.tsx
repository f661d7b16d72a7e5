/** The frame of one operation form: title, fields, the run button, its error and the versions it made. */
import type { FormEvent, ReactNode } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage } from "../components/RequestState";
import { versionLabel } from "./lineage";
import { datasetPath } from "./paths";
import type { Operation } from "./useOperation";

/** Links to the versions an operation made. */
export function MadeVersions({ operation, made }: { operation: string; made: Operation["made"] }) {
  if (made.length === 0) return null;
  return (
    <p className="ok" role="status" data-testid="operation-result" data-operation={operation}>
      Made{" "}
      {made.map((version, i) => (
        <span key={version.id}>
          {i > 0 && ", "}
          <Link to={datasetPath(version.dataset, version.number)} data-testid="made-version">
            {versionLabel(version)}
          </Link>
        </span>
      ))}
    </p>
  );
}

/** A form card: `onSubmit` runs the operation (the button is disabled while it runs or `disabled`). */
export function OperationCard({
  title,
  operation,
  state,
  action,
  disabled = false,
  onSubmit,
  children,
}: {
  title: string;
  /** Its name in test ids (`data-operation`). */
  operation: string;
  state: Operation;
  /** The button's text. */
  action: string;
  disabled?: boolean;
  onSubmit: () => void;
  children: ReactNode;
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!state.busy && !disabled) onSubmit();
  };
  return (
    <form className="card" aria-label={title} data-testid={`${operation}-form`} onSubmit={submit}>
      <h3 style={{ marginTop: 0 }}>{title}</h3>
      <div className="row">{children}</div>
      <div className="actions">
        <button type="submit" className="primary" disabled={state.busy || disabled}>
          {state.busy ? "Working…" : action}
        </button>
      </div>
      <ErrorMessage error={state.error} />
      <MadeVersions operation={operation} made={state.made} />
    </form>
  );
}
