/** The YAML/JSON view of the pipeline: it follows the canvas, and a valid edit is applied to
 * the canvas at once (an invalid one shows why and changes nothing). */
import { useEffect, useRef, useState } from "react";
import type { PipelineDefinition } from "../api/schema";
import { CodeField } from "./CodeField";
import { jsonProblems, yamlProblems } from "./codeProblems";
import { definitionToText, normalized, textToDefinition, type TextFormat } from "./pipelineText";

/** Props of {@link YamlView}. */
export interface YamlViewProps {
  definition: PipelineDefinition;
  onApply: (definition: PipelineDefinition) => void;
}

/** The view. */
export function YamlView({ definition, onApply }: YamlViewProps) {
  const [format, setFormat] = useState<TextFormat>("yaml");
  const [text, setText] = useState(() => definitionToText(definition, "yaml"));
  const [error, setError] = useState<string | null>(null);
  const shown = useRef(JSON.stringify(normalized(definition)));
  const current = JSON.stringify(normalized(definition));
  useEffect(() => {
    // The canvas changed: show it, unless it is what the text already says.
    if (current !== shown.current) {
      shown.current = current;
      setText(definitionToText(definition, format));
      setError(null);
    }
  }, [current, definition, format]);
  const switchTo = (next: TextFormat) => {
    setFormat(next);
    setText(definitionToText(definition, next));
    setError(null);
  };
  const edit = (next: string) => {
    setText(next);
    const read = textToDefinition(next, format);
    if ("error" in read) {
      setError(read.error);
      return;
    }
    setError(null);
    shown.current = JSON.stringify(normalized(read.definition));
    onApply(read.definition);
  };
  return (
    <section className="yaml-view" data-testid="yaml-view" aria-labelledby="yaml-heading">
      <div className="row">
        <h2 id="yaml-heading">Definition</h2>
        <div role="group" aria-label="Format" className="row">
          <button type="button" aria-pressed={format === "yaml"} onClick={() => switchTo("yaml")}>
            YAML
          </button>
          <button type="button" aria-pressed={format === "json"} onClick={() => switchTo("json")}>
            JSON
          </button>
        </div>
      </div>
      <CodeField
        labelId="yaml-heading"
        value={text}
        onChange={edit}
        language={format === "json" ? "json" : "yaml"}
        check={format === "json" ? jsonProblems : yamlProblems}
        minHeight="12rem"
        testId="yaml-editor"
      />
      {error && (
        <p className="bad" role="alert" data-testid="yaml-error">
          Not applied: {error}
        </p>
      )}
    </section>
  );
}
