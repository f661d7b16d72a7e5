/** The config form of one block, generated from its JSON Schema: text, numbers, booleans,
 * lists of strings, enums as selects (model pickers among them), field references as
 * dropdowns of the state fields available at the node, and Jinja/JSON fields in the code
 * editor. It emits the typed config; an emptied field is removed (the block's default). */
import { useEffect, useId, useRef, useState } from "react";
import type { JsonSchema } from "./jsonSchema";
import { CodeField } from "./CodeField";
import { jsonOrTemplateProblems, jsonProblems, templateProblems } from "./codeProblems";
import { configProblems, fieldsOf, type FieldSpec } from "./schemaField";
import type { Config } from "./types";

/** Props of {@link ConfigForm}. */
export interface ConfigFormProps {
  schema: JsonSchema;
  config: Config;
  onChange: (config: Config) => void;
  /** State fields the block can read (for field references). */
  availableFields: string[];
}

/** How a default or a choice reads in the form. */
function shown(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

/** The label of a select's "not set" choice. */
function unsetLabel(field: FieldSpec): string {
  if (field.schema.format === "model") return "(default model)";
  return field.defaultValue === undefined || field.defaultValue === null ? "(not set)" : `(default: ${shown(field.defaultValue)})`;
}

interface FieldProps {
  field: FieldSpec;
  value: unknown;
  set: (value: unknown) => void;
  id: string;
  availableFields: string[];
}

/** Whether `option` of a model picker means "the default model", which the unset choice
 * already offers (the server adds null or "" to the model names it lists). */
function meansDefaultModel(field: FieldSpec, option: unknown): boolean {
  return field.schema.format === "model" && (option === null || option === "");
}

function EnumField({ field, value, set, id }: FieldProps) {
  const encoded = value === undefined || meansDefaultModel(field, value) ? "" : JSON.stringify(value);
  const options = field.options.filter((option) => !meansDefaultModel(field, option));
  return (
    <select id={id} value={encoded} onChange={(e) => set(e.target.value === "" ? undefined : JSON.parse(e.target.value))}>
      <option value="">{unsetLabel(field)}</option>
      {options.map((option) => (
        <option key={JSON.stringify(option)} value={JSON.stringify(option)}>
          {option === null ? "none (null)" : shown(option)}
        </option>
      ))}
      {encoded !== "" && !options.some((o) => JSON.stringify(o) === encoded) && (
        <option value={encoded}>{shown(value)} (not offered)</option>
      )}
    </select>
  );
}

function FieldReferenceField({ field, value, set, id, availableFields }: FieldProps) {
  const current = typeof value === "string" ? value : "";
  const choices = [...new Set([...availableFields, ...(current ? [current] : [])])];
  return (
    <select id={id} value={current} onChange={(e) => set(e.target.value === "" ? undefined : e.target.value)}>
      <option value="">{unsetLabel(field)}</option>
      {choices.map((name) => (
        <option key={name} value={name}>
          {availableFields.includes(name) ? name : `${name} (not in the state here)`}
        </option>
      ))}
    </select>
  );
}

function NumberField({ field, value, set, id }: FieldProps) {
  const [text, setText] = useState(typeof value === "number" ? String(value) : "");
  const emitted = useRef<unknown>(value);
  useEffect(() => {
    // Only an outside change of the value (the YAML view, another node) resets the text.
    if (value !== emitted.current) {
      emitted.current = value;
      setText(typeof value === "number" ? String(value) : "");
    }
  }, [value]);
  const emit = (next: number | undefined) => {
    emitted.current = next;
    set(next);
  };
  return (
    <input
      id={id}
      type="number"
      inputMode="decimal"
      step={field.kind === "integer" ? 1 : "any"}
      min={field.schema.minimum}
      max={field.schema.maximum}
      placeholder={field.defaultValue === undefined ? "" : shown(field.defaultValue)}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const number = Number(e.target.value);
        if (e.target.value.trim() === "") emit(undefined);
        else if (Number.isFinite(number)) emit(number);
      }}
    />
  );
}

function StringListField({ field, value, set, id }: FieldProps) {
  const items = Array.isArray(value) ? value.map(String) : [];
  const update = (next: string[]) => set(next);
  return (
    <div className="string-list" id={id} role="group" aria-labelledby={`${id}-label`}>
      {items.map((item, index) => (
        <div className="row" key={index}>
          <input
            aria-label={`${field.label} item ${index + 1}`}
            value={item}
            onChange={(e) => update(items.map((old, i) => (i === index ? e.target.value : old)))}
          />
          <button type="button" onClick={() => update(items.filter((_, i) => i !== index))} aria-label={`Remove ${field.label} item ${index + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => update([...items, ""])}>
        Add {field.label.toLowerCase()} item
      </button>
    </div>
  );
}

/** The text a code field starts from. */
function codeText(value: unknown, asTemplate: boolean): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string" && asTemplate) return value;
  return JSON.stringify(value, null, 2);
}

function CodeConfigField({ field, value, set, id }: FieldProps) {
  const template = field.kind === "template";
  const [text, setText] = useState(() => codeText(value, template || field.kind === "jsonOrTemplate"));
  const emitted = useRef<string>(JSON.stringify(value ?? null));
  useEffect(() => {
    const incoming = JSON.stringify(value ?? null);
    if (incoming !== emitted.current) {
      emitted.current = incoming;
      setText(codeText(value, template || field.kind === "jsonOrTemplate"));
    }
  }, [value, template, field.kind]);
  const emit = (next: unknown) => {
    emitted.current = JSON.stringify(next ?? null);
    set(next);
  };
  const onChange = (next: string) => {
    setText(next);
    if (next.trim() === "") return emit(undefined);
    if (template) return emit(next);
    try {
      return emit(JSON.parse(next));
    } catch {
      // JSON fields wait for valid JSON; json-or-template ones keep the text as a template.
      if (field.kind === "jsonOrTemplate") emit(next);
    }
  };
  const check = template ? templateProblems : field.kind === "jsonOrTemplate" ? jsonOrTemplateProblems : jsonProblems;
  return (
    <CodeField
      labelId={`${id}-label`}
      value={text}
      onChange={onChange}
      language={template ? "jinja" : "json"}
      check={check}
      testId={`config-${field.key}`}
    />
  );
}

function Field(props: FieldProps) {
  const { field, value, set, id } = props;
  switch (field.kind) {
    case "enum":
      return <EnumField {...props} />;
    case "fieldReference":
      return <FieldReferenceField {...props} />;
    case "boolean":
      return (
        <input
          id={id}
          type="checkbox"
          checked={typeof value === "boolean" ? value : field.defaultValue === true}
          onChange={(e) => set(e.target.checked)}
        />
      );
    case "integer":
    case "number":
      return <NumberField {...props} />;
    case "string":
      return (
        <input
          id={id}
          // Secrets (`format: "password"` or `writeOnly`) are not shown on screen.
          type={field.schema.format === "password" || field.schema.writeOnly === true ? "password" : "text"}
          placeholder={typeof field.defaultValue === "string" ? field.defaultValue : ""}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => set(e.target.value === "" ? undefined : e.target.value)}
        />
      );
    case "stringList":
      return <StringListField {...props} />;
    default:
      return <CodeConfigField {...props} />;
  }
}

/** Code fields and lists are labelled by a span (an editor is not a labelable element). */
const SPAN_LABELLED = new Set(["template", "jsonOrTemplate", "json", "stringList"]);

/** The generated form. */
export function ConfigForm({ schema, config, onChange, availableFields }: ConfigFormProps) {
  const baseId = useId();
  const fields = fieldsOf(schema);
  const problems = configProblems(schema, config);
  const set = (key: string, value: unknown) => {
    const next = { ...config };
    if (value === undefined) delete next[key];
    else next[key] = value;
    onChange(next);
  };
  if (fields.length === 0) return <p className="muted" data-testid="config-form">This block has no settings.</p>;
  return (
    <div className="config-form" data-testid="config-form">
      {fields.map((field) => {
        const id = `${baseId}-${field.key}`;
        const fieldProblems = problems.filter((p) => p.key === field.key);
        const spanLabel = SPAN_LABELLED.has(field.kind);
        const labelText = (
          <>
            {field.label}
            {field.required && <span aria-hidden="true"> *</span>}
          </>
        );
        return (
          <div className={`config-field kind-${field.kind}`} key={field.key} data-field={field.key}>
            {spanLabel ? (
              <span className="field-label" id={`${id}-label`}>
                {labelText}
              </span>
            ) : (
              <label htmlFor={id} className="field-label">
                {labelText}
              </label>
            )}
            <Field field={field} value={config[field.key]} set={(value) => set(field.key, value)} id={id} availableFields={availableFields} />
            {field.description && <small className="muted">{field.description}</small>}
            {fieldProblems.map((problem) => (
              <p className="field-error bad" role="alert" key={problem.message}>
                {field.label} {problem.message}
              </p>
            ))}
          </div>
        );
      })}
      {problems
        .filter((p) => !fields.some((f) => f.key === p.key))
        .map((problem) => (
          <p className="field-error bad" role="alert" key={problem.key}>
            {problem.key} {problem.message}
          </p>
        ))}
    </div>
  );
}
