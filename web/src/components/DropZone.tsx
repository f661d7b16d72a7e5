/** A drop zone for one file, with a real file input inside for keyboards and tests. */
import { useId, useState, type DragEvent, type ReactNode } from "react";

/** Drop a file on it, or pick one with its file input. */
export function DropZone({
  label,
  accept,
  inputTestId,
  onFile,
  disabled = false,
  children,
}: {
  /** The input's label, e.g. "Seed file". */
  label: string;
  /** The `accept` attribute. */
  accept: string;
  /** The `data-testid` of the file input. */
  inputTestId: string;
  onFile: (file: File) => void;
  disabled?: boolean;
  /** Shown inside the zone (what was picked, hints). */
  children?: ReactNode;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    if (disabled) return;
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  };
  return (
    <div
      className={`dropzone${over ? " over" : ""}`}
      onDragOver={(event) => {
        event.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <label htmlFor={id}>
        {label}: drop a file here or choose one ({accept.split(",").join(", ")})
      </label>
      <input
        id={id}
        type="file"
        accept={accept}
        disabled={disabled}
        data-testid={inputTestId}
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file) onFile(file);
          event.target.value = "";
        }}
      />
      {children}
    </div>
  );
}
