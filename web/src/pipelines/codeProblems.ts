/** Syntax problems of the code fields: JSON, Jinja, and "JSON or a Jinja template". */
import YAML from "yaml";
import { hasTemplate, readTemplate, type TemplateProblem } from "./jinja";

/** Where a JSON text is wrong (JSON.parse's position when it gives one). */
export function jsonProblems(text: string): TemplateProblem[] {
  if (text.trim() === "") return [];
  try {
    JSON.parse(text);
    return [];
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(message);
    const from = at ? Math.min(Number(at[1]), text.length) : 0;
    return [{ message: `not valid JSON: ${message}`, from, to: Math.min(from + 1, text.length) }];
  }
}

/** A json-or-template value is fine as JSON; otherwise it must be a template that reads. */
export function jsonOrTemplateProblems(text: string): TemplateProblem[] {
  const json = jsonProblems(text);
  if (json.length === 0) return [];
  if (hasTemplate(text)) return readTemplate(text).problems;
  return json;
}

/** Jinja template problems. */
export function templateProblems(text: string): TemplateProblem[] {
  return readTemplate(text).problems;
}

/** YAML problems, with the parser's position. */
export function yamlProblems(text: string): TemplateProblem[] {
  const document = YAML.parseDocument(text, { logLevel: "error" });
  return document.errors.map((error) => ({
    message: error.message,
    from: Math.min(error.pos[0], text.length),
    to: Math.min(Math.max(error.pos[1], error.pos[0] + 1), text.length),
  }));
}
