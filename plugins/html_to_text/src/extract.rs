//! Main-content extraction: the page's `<article>` or `<main>` (else its body), without
//! scripts, styles, navigation, headers, footers, asides, forms and hidden elements, written
//! as Markdown (headings, lists, tables, quotes, code) or plain text. No host needed.

use scraper::node::Node;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};

/// How the content is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `# Heading`, `- item`, `| a | b |`, fenced code.
    Markdown,
    /// The same text without Markdown markers.
    Text,
}

/// What a page gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The main content.
    pub text: String,
    /// `<title>`, else the first `<h1>`, else empty.
    pub title: String,
    /// `lang`, `description`, `canonical_url`, `author`, `site_name`, when the page has them.
    pub metadata: Map<String, Value>,
}

/// Elements dropped with their content.
const DROPPED: [&str; 16] = [
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "canvas", "button", "select", "head", "dialog",
];

/// Roles dropped with their content.
const DROPPED_ROLES: [&str; 5] = [
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
];

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

fn first<'a>(document: &'a Html, css: &str) -> Option<ElementRef<'a>> {
    selector(css).and_then(|s| document.select(&s).next())
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Extracts the main content of `html`.
pub fn extract(html: &str, format: Format) -> Extracted {
    let document = Html::parse_document(html);
    let title = first(&document, "title")
        .or_else(|| first(&document, "h1"))
        .map(|e| collapse(&e.text().collect::<String>()))
        .unwrap_or_default();
    let root = ["article", "main", "[role=main]", "body"]
        .iter()
        .find_map(|css| first(&document, css))
        .unwrap_or_else(|| document.root_element());
    let mut writer = Writer {
        format,
        out: String::new(),
    };
    writer.children(root, 0);
    Extracted {
        text: tidy(&writer.out),
        title,
        metadata: metadata(&document),
    }
}

fn metadata(document: &Html) -> Map<String, Value> {
    let mut found = Map::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            found.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    };
    put(
        "lang",
        first(document, "html").and_then(|e| e.value().attr("lang")),
    );
    let content = |css: &str| first(document, css).and_then(|e| e.value().attr("content"));
    put(
        "description",
        content("meta[name=description]").or_else(|| content("meta[property='og:description']")),
    );
    put("author", content("meta[name=author]"));
    put("site_name", content("meta[property='og:site_name']"));
    put(
        "canonical_url",
        first(document, "link[rel=canonical]").and_then(|e| e.value().attr("href")),
    );
    found
}

/// At most one blank line between blocks, no trailing spaces, no blank start or end.
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_owned()
}

struct Writer {
    format: Format,
    out: String,
}

impl Writer {
    fn markdown(&self) -> bool {
        self.format == Format::Markdown
    }

    fn block_break(&mut self) {
        self.out.push_str("\n\n");
    }

    /// Writes the children of `element`; `depth` is the list nesting.
    fn children(&mut self, element: ElementRef<'_>, depth: usize) {
        for child in element.children() {
            match child.value() {
                Node::Text(text) => {
                    let collapsed = collapse(text);
                    if collapsed.is_empty() {
                        if !text.is_empty() && !self.out.ends_with([' ', '\n']) {
                            self.out.push(' ');
                        }
                        continue;
                    }
                    if text.starts_with(char::is_whitespace) && !self.out.ends_with([' ', '\n']) {
                        self.out.push(' ');
                    }
                    self.out.push_str(&collapsed);
                    if text.ends_with(char::is_whitespace) {
                        self.out.push(' ');
                    }
                }
                Node::Element(_) => {
                    if let Some(element) = ElementRef::wrap(child) {
                        self.element(element, depth);
                    }
                }
                _ => {}
            }
        }
    }

    fn dropped(element: ElementRef<'_>) -> bool {
        let value = element.value();
        DROPPED.contains(&value.name())
            || value.attr("hidden").is_some()
            || value.attr("aria-hidden") == Some("true")
            || value
                .attr("role")
                .is_some_and(|r| DROPPED_ROLES.contains(&r))
    }

    fn element(&mut self, element: ElementRef<'_>, depth: usize) {
        if Self::dropped(element) {
            return;
        }
        let name = element.value().name();
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = usize::from(name.as_bytes()[1] - b'0');
                self.block_break();
                if self.markdown() {
                    self.out.push_str(&"#".repeat(level));
                    self.out.push(' ');
                }
                self.out
                    .push_str(&collapse(&element.text().collect::<String>()));
                self.block_break();
            }
            "p" | "div" | "section" | "figure" | "figcaption" | "dl" | "address" | "details"
            | "summary" => {
                self.block_break();
                self.children(element, depth);
                self.block_break();
            }
            "dt" | "dd" => {
                self.out.push('\n');
                self.children(element, depth);
                self.out.push('\n');
            }
            "br" => self.out.push('\n'),
            "hr" => {
                self.block_break();
                if self.markdown() {
                    self.out.push_str("---");
                }
                self.block_break();
            }
            "ul" | "ol" => {
                // A nested list follows its item's line; a top-level one is a block.
                if depth == 0 {
                    self.block_break();
                }
                let ordered = name == "ol";
                let mut number = 0;
                for item in element
                    .child_elements()
                    .filter(|c| c.value().name() == "li")
                {
                    if Self::dropped(item) {
                        continue;
                    }
                    number += 1;
                    self.out.push('\n');
                    self.out.push_str(&"  ".repeat(depth));
                    if ordered {
                        self.out.push_str(&format!("{number}. "));
                    } else {
                        self.out.push_str("- ");
                    }
                    self.children(item, depth + 1);
                }
                if depth == 0 {
                    self.block_break();
                }
            }
            "li" => {
                self.out.push_str("\n- ");
                self.children(element, depth + 1);
            }
            "pre" => {
                let code: String = element.text().collect();
                self.block_break();
                if self.markdown() {
                    self.out.push_str("```\n");
                }
                self.out.push_str(code.trim_end_matches('\n'));
                if self.markdown() {
                    self.out.push_str("\n```");
                }
                self.block_break();
            }
            "code" if self.markdown() => {
                self.out.push('`');
                self.out
                    .push_str(&collapse(&element.text().collect::<String>()));
                self.out.push('`');
            }
            "strong" | "b" if self.markdown() => self.wrapped(element, depth, "**"),
            "em" | "i" if self.markdown() => self.wrapped(element, depth, "_"),
            "blockquote" => {
                let mut inner = Writer {
                    format: self.format,
                    out: String::new(),
                };
                inner.children(element, depth);
                self.block_break();
                for line in tidy(&inner.out).lines() {
                    if self.markdown() {
                        self.out.push_str("> ");
                    }
                    self.out.push_str(line);
                    self.out.push('\n');
                }
                self.block_break();
            }
            "table" => self.table(element),
            "img" => {
                if let Some(alt) = element.value().attr("alt").map(collapse)
                    && !alt.is_empty()
                    && self.markdown()
                {
                    self.out.push_str(&format!("[image: {alt}]"));
                }
            }
            _ => self.children(element, depth),
        }
    }

    fn wrapped(&mut self, element: ElementRef<'_>, depth: usize, marker: &str) {
        let mut inner = Writer {
            format: self.format,
            out: String::new(),
        };
        inner.children(element, depth);
        let text = inner.out.trim();
        if text.is_empty() {
            return;
        }
        self.out.push_str(marker);
        self.out.push_str(text);
        self.out.push_str(marker);
    }

    /// A table, one line per row: `| a | b |` with a header rule after the first row in
    /// Markdown, cells separated by tabs in text.
    fn table(&mut self, table: ElementRef<'_>) {
        let Some(rows) = selector("tr") else {
            return;
        };
        let Some(cells) = selector("th, td") else {
            return;
        };
        self.block_break();
        for (index, row) in table.select(&rows).enumerate() {
            let texts: Vec<String> = row
                .select(&cells)
                .map(|cell| collapse(&cell.text().collect::<String>()).replace('|', "\\|"))
                .collect();
            if self.markdown() {
                self.out.push_str(&format!("| {} |\n", texts.join(" | ")));
                if index == 0 {
                    self.out
                        .push_str(&format!("|{}\n", " --- |".repeat(texts.len().max(1))));
                }
            } else {
                self.out.push_str(&texts.join("\t"));
                self.out.push('\n');
            }
        }
        self.block_break();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en"><head>
        <title> The  Page </title>
        <meta name="description" content="What it is about">
        <link rel="canonical" href="https://example.com/page">
        <style>body { color: red }</style><script>alert("x")</script></head>
        <body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
        <header>Site banner</header>
        <article><h1>Main title</h1><p>First <b>bold</b> paragraph
        over lines.</p><h2>List</h2><ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>
        <ol><li>first</li><li>second</li></ol>
        <table><tr><th>Name</th><th>Age</th></tr><tr><td>Ada</td><td>36</td></tr></table>
        <pre>let x = 1;
let y = 2;</pre><div hidden>secret</div><p aria-hidden="true">hidden too</p>
        <blockquote><p>Quoted words</p></blockquote></article>
        <aside>Related links</aside><footer>Copyright</footer></body></html>"#;

    #[test]
    fn markdown_keeps_structure_and_drops_boilerplate() {
        let found = extract(PAGE, Format::Markdown);
        assert_eq!(found.title, "The Page");
        let expected = "# Main title\n\nFirst **bold** paragraph over lines.\n\n## List\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n| Name | Age |\n| --- | --- |\n| Ada | 36 |\n\n```\nlet x = 1;\nlet y = 2;\n```\n\n> Quoted words";
        assert_eq!(found.text, expected, "{}", found.text);
        for gone in [
            "Home",
            "Site banner",
            "alert",
            "color",
            "secret",
            "hidden too",
            "Related",
            "Copyright",
        ] {
            assert!(!found.text.contains(gone), "{gone} kept: {}", found.text);
        }
    }

    #[test]
    fn text_has_no_markdown_markers() {
        let found = extract(PAGE, Format::Text);
        assert!(
            found.text.starts_with("Main title\n\nFirst bold paragraph"),
            "{}",
            found.text
        );
        assert!(found.text.contains("Name\tAge\nAda\t36"), "{}", found.text);
        assert!(
            !found.text.contains('#') && !found.text.contains("```"),
            "{}",
            found.text
        );
    }

    #[test]
    fn metadata_and_fallbacks() {
        let found = extract(PAGE, Format::Markdown);
        assert_eq!(found.metadata["lang"], "en");
        assert_eq!(found.metadata["description"], "What it is about");
        assert_eq!(found.metadata["canonical_url"], "https://example.com/page");
        assert!(!found.metadata.contains_key("author"));
        // No article or main: the body, without its navigation; no title: the first h1.
        let bare = extract(
            "<body><nav>menu</nav><h1>Only</h1><p>text</p>",
            Format::Markdown,
        );
        assert_eq!(bare.title, "Only");
        assert_eq!(bare.text, "# Only\n\ntext");
        // Broken markup is repaired as a browser would.
        let broken = extract("<p>open <b>bold<p>next", Format::Text);
        assert_eq!(broken.text, "open bold\n\nnext");
        assert_eq!(extract("", Format::Text).text, "");
    }
}
