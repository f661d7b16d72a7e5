import { readTemplate } from "./jinja";

describe("readTemplate", () => {
  it("finds the top-level variables a template reads, not attributes, filters, tests or locals", () => {
    const text =
      "About {{ topic }} for {{ who | default('you') }}; {{ x.y }} {% if z is defined %}1{% endif %}" +
      "{% for item in items %}{{ item.name }}{{ loop.index }}{% endfor %}{% set n = count + 1 %}{{ n }}" +
      "{{ fmt(value, width=3) }}{# {{ commented }} #}";
    expect(readTemplate(text)).toEqual({
      variables: ["count", "fmt", "items", "topic", "value", "who", "x", "z"],
      problems: [],
    });
  });

  it("reports unclosed delimiters, unbalanced brackets, strings and tags", () => {
    const messages = (text: string) => readTemplate(text).problems.map((p) => p.message);
    expect(messages("Hello {{ name ")[0]).toContain("never closed with '}}'");
    expect(messages("{{ f(a }}")[0]).toContain("'(' is never closed");
    expect(messages("{{ 'open }}")[0]).toContain("never closed");
    expect(messages("{% if a %}x")[0]).toContain("'if' at line 1 is never closed with 'endif'");
    expect(messages("{% for a in b %}{% endif %}")[0]).toContain("'endif' closes 'for'");
    expect(messages("{% endfor %}")[0]).toContain("without an opening tag");
    expect(messages("{{ }}")[0]).toBe("empty expression");
  });

  it("gives the range of the problem for the code editor", () => {
    const [problem] = readTemplate("ok {{ a ) }}").problems;
    expect(problem).toEqual({ message: "unexpected ')'", from: 8, to: 9 });
  });
});
