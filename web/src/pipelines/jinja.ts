/** A small reader of Jinja templates: the state variables a template reads (as the server's
 * `undeclared_variables` finds them, for the live accumulated-state view) and its syntax errors
 * (for the code editor). The server stays the judge: it checks templates again on save. */

/** A syntax problem, with the character range it covers. */
export interface TemplateProblem {
  message: string;
  from: number;
  to: number;
}

/** What a template reads and what is wrong with it. */
export interface TemplateReading {
  variables: string[];
  problems: TemplateProblem[];
}

const KEYWORDS = new Set([
  "and", "or", "not", "in", "is", "if", "else", "elif", "true", "false", "none",
  "True", "False", "None", "loop", "recursive", "with", "without", "context", "as",
  "import", "from", "super", "self", "varargs", "kwargs", "caller", "range", "dict",
  "namespace", "lipsum", "cycler", "joiner", "debug",
]);

/** Tags that open a block, with the tag that closes it. */
const BLOCK_TAGS: Record<string, string> = {
  if: "endif", for: "endfor", macro: "endmacro", block: "endblock", filter: "endfilter",
  with: "endwith", call: "endcall", raw: "endraw", autoescape: "endautoescape",
};

interface Token {
  kind: "name" | "string" | "number" | "op";
  text: string;
  at: number;
}

const PAIRS: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** Splits an expression into tokens; an unterminated string is a problem. */
function tokenize(source: string, offset: number, problems: TemplateProblem[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      if (j >= source.length) {
        problems.push({ message: "unterminated string", from: offset + i, to: offset + source.length });
        return tokens;
      }
      tokens.push({ kind: "string", text: source.slice(i, j + 1), at: offset + i });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
      const text = match ? match[0] : c;
      tokens.push({ kind: "name", text, at: offset + i });
      i += text.length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9][0-9_.]*/.exec(source.slice(i));
      const text = match ? match[0] : c;
      tokens.push({ kind: "number", text, at: offset + i });
      i += text.length;
    } else {
      const two = source.slice(i, i + 2);
      const text = ["==", "!=", "<=", ">=", "**", "//"].includes(two) ? two : c;
      tokens.push({ kind: "op", text, at: offset + i });
      i += text.length;
    }
  }
  return tokens;
}

/** Brackets must pair up inside one expression. */
function checkBrackets(tokens: Token[], problems: TemplateProblem[]): void {
  const open: Token[] = [];
  for (const token of tokens) {
    if (token.kind !== "op") continue;
    if (PAIRS[token.text]) open.push(token);
    else if (Object.values(PAIRS).includes(token.text)) {
      const last = open.pop();
      if (!last || PAIRS[last.text] !== token.text) {
        problems.push({ message: `unexpected '${token.text}'`, from: token.at, to: token.at + 1 });
        return;
      }
    }
  }
  const unclosed = open.pop();
  if (unclosed) {
    problems.push({ message: `'${unclosed.text}' is never closed`, from: unclosed.at, to: unclosed.at + 1 });
  }
}

/** The top-level names an expression reads (not attributes, filters, tests or keyword names). */
function namesRead(tokens: Token[]): string[] {
  const names: string[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== "name" || KEYWORDS.has(token.text)) return;
    const before = tokens[index - 1];
    const after = tokens[index + 1];
    if (before && before.kind === "op" && (before.text === "." || before.text === "|")) return;
    if (before && before.kind === "name" && before.text === "is") return;
    if (before && before.kind === "name" && before.text === "not" && tokens[index - 2]?.text === "is") return;
    if (after && after.kind === "op" && after.text === "=") return;
    names.push(token.text);
  });
  return names;
}

/** The closing delimiter of each opening one. */
const CLOSERS: Record<string, string> = { "{{": "}}", "{%": "%}", "{#": "#}" };

/** Finds the end of a tag, skipping delimiters inside strings; -1 when it is never closed. */
function findClose(text: string, from: number, closer: string): number {
  let quote: string | null = null;
  for (let i = from; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i += 1;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (text.startsWith(closer, i)) {
      return i;
    }
  }
  return -1;
}

/** Line number (from 1) of a character, for messages. */
function lineOf(text: string, at: number): number {
  return text.slice(0, at).split("\n").length;
}

/** Reads a template: the variables it takes from the state and its syntax problems. */
export function readTemplate(text: string): TemplateReading {
  const problems: TemplateProblem[] = [];
  const read: string[] = [];
  const bound = new Set<string>();
  const stack: { tag: string; at: number }[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.slice(i).search(/\{[{%#]/);
    if (start < 0) break;
    const open = i + start;
    const opener = text.slice(open, open + 2);
    const closer = CLOSERS[opener];
    const close = opener === "{#" ? text.indexOf(closer, open + 2) : findClose(text, open + 2, closer);
    if (close < 0) {
      problems.push({
        message: `'${opener}' at line ${lineOf(text, open)} is never closed with '${closer}'`,
        from: open,
        to: text.length,
      });
      break;
    }
    i = close + 2;
    if (opener === "{#") continue;
    const inner = text.slice(open + 2, close).replace(/^[-+]/, "").replace(/[-+]$/, "");
    const innerAt = open + 2 + (text[open + 2] === "-" || text[open + 2] === "+" ? 1 : 0);
    const tokens = tokenize(inner, innerAt, problems);
    checkBrackets(tokens, problems);
    if (opener === "{{") {
      if (tokens.length === 0) problems.push({ message: "empty expression", from: open, to: close + 2 });
      read.push(...namesRead(tokens));
      continue;
    }
    const tag = tokens[0];
    if (!tag || tag.kind !== "name") {
      problems.push({ message: "a tag needs a name, e.g. {% if ... %}", from: open, to: close + 2 });
      continue;
    }
    const rest = tokens.slice(1);
    if (BLOCK_TAGS[tag.text]) {
      stack.push({ tag: tag.text, at: open });
    } else if (tag.text.startsWith("end")) {
      const top = stack.pop();
      if (!top || BLOCK_TAGS[top.tag] !== tag.text) {
        problems.push({
          message: top
            ? `'${tag.text}' closes '${top.tag}' (line ${lineOf(text, top.at)}), which needs '${BLOCK_TAGS[top.tag]}'`
            : `'${tag.text}' without an opening tag`,
          from: open,
          to: close + 2,
        });
      }
      continue;
    } else if ((tag.text === "elif" || tag.text === "else") && !stack.some((s) => s.tag === "if" || s.tag === "for")) {
      problems.push({ message: `'${tag.text}' outside an if or for`, from: open, to: close + 2 });
    }
    if (tag.text === "for") {
      const inAt = rest.findIndex((t) => t.kind === "name" && t.text === "in");
      rest.slice(0, Math.max(inAt, 0)).forEach((t) => t.kind === "name" && bound.add(t.text));
      read.push(...namesRead(rest.slice(inAt + 1)));
    } else if (tag.text === "set") {
      const eqAt = rest.findIndex((t) => t.kind === "op" && t.text === "=");
      rest.slice(0, Math.max(eqAt, 0)).forEach((t) => t.kind === "name" && bound.add(t.text));
      read.push(...namesRead(rest.slice(eqAt + 1)));
    } else if (tag.text === "macro") {
      rest.forEach((t) => t.kind === "name" && bound.add(t.text));
    } else {
      read.push(...namesRead(rest));
    }
  }
  for (const unclosed of stack) {
    problems.push({
      message: `'${unclosed.tag}' at line ${lineOf(text, unclosed.at)} is never closed with '${BLOCK_TAGS[unclosed.tag]}'`,
      from: unclosed.at,
      to: text.length,
    });
  }
  const variables = [...new Set(read.filter((name) => !bound.has(name)))].sort();
  return { variables, problems };
}

/** Whether a string holds Jinja syntax (as the server decides which strings to read). */
export function hasTemplate(text: string): boolean {
  return text.includes("{{") || text.includes("{%");
}
