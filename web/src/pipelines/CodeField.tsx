/** A code editor (CodeMirror) for JSON, Jinja and YAML fields, with its syntax problems shown
 * in the editor and listed under it. */
import { useMemo } from "react";
import CodeMirror, { EditorView } from "@uiw/react-codemirror";
import { json } from "@codemirror/lang-json";
import { yaml } from "@codemirror/lang-yaml";
import { StreamLanguage } from "@codemirror/language";
import { jinja2 } from "@codemirror/legacy-modes/mode/jinja2";
import { linter, type Diagnostic } from "@codemirror/lint";
import type { TemplateProblem } from "./jinja";

/** The languages the field highlights. */
export type CodeLanguage = "json" | "jinja" | "yaml";

const jinjaLanguage = StreamLanguage.define(jinja2);

function languageOf(language: CodeLanguage) {
  if (language === "json") return json();
  if (language === "yaml") return yaml();
  return jinjaLanguage;
}

/** Props of {@link CodeField}. */
export interface CodeFieldProps {
  /** Id of the element that labels the editor. */
  labelId: string;
  value: string;
  onChange: (text: string) => void;
  language: CodeLanguage;
  /** The syntax problems of a text. */
  check: (text: string) => TemplateProblem[];
  minHeight?: string;
  testId?: string;
}

/** A labelled CodeMirror editor whose problems are also listed as text (role=alert). */
export function CodeField({ labelId, value, onChange, language, check, minHeight = "3rem", testId }: CodeFieldProps) {
  const extensions = useMemo(
    () => [
      languageOf(language),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-labelledby": labelId }),
      linter((view): Diagnostic[] =>
        check(view.state.doc.toString()).map((problem) => ({ ...problem, severity: "error" })),
      ),
    ],
    [language, labelId, check],
  );
  const problems = check(value);
  const dark = typeof document !== "undefined" && document.documentElement.dataset.theme === "dark";
  return (
    <div className="code-field" data-testid={testId}>
      <CodeMirror
        value={value}
        onChange={onChange}
        extensions={extensions}
        minHeight={minHeight}
        maxHeight="24rem"
        theme={dark ? "dark" : "light"}
        basicSetup={{ lineNumbers: language !== "jinja", foldGutter: false, highlightActiveLine: false }}
      />
      {problems.length > 0 && (
        <ul className="field-problems" role="alert">
          {problems.map((problem, index) => (
            <li key={index} className="bad">
              {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
