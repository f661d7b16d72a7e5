//! Where a Markdown document's sections and top-level blocks start, read with a CommonMark
//! parser: a `#` inside a code fence or an indented code block is not a heading, setext
//! headings (`Title` over `===`) are, and a fenced block with blank lines stays one block.

use pulldown_cmark::{Event, Options, Parser, Tag};

/// The byte offsets at which a document's top-level headings and top-level blocks start.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Structure {
    /// Start of every top-level heading, in order: each one starts a section.
    pub headings: Vec<usize>,
    /// Start of every top-level block (paragraph, list, code block, table, heading...), in
    /// order.
    pub blocks: Vec<usize>,
}

impl Structure {
    /// Parses `text` (CommonMark with tables, footnotes, strikethrough, task lists and YAML
    /// front matter).
    pub fn of(text: &str) -> Structure {
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
        let mut structure = Structure::default();
        let mut depth = 0usize;
        for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
            match event {
                Event::Start(tag) => {
                    if depth == 0 {
                        if matches!(tag, Tag::Heading { .. }) {
                            structure.headings.push(range.start);
                        }
                        structure.blocks.push(range.start);
                    }
                    depth += 1;
                }
                Event::End(_) => depth = depth.saturating_sub(1),
                // A thematic break, or anything else a container does not hold.
                _ if depth == 0 => structure.blocks.push(range.start),
                _ => {}
            }
        }
        structure
    }

    /// The document cut into sections: one before the first heading (when there is text
    /// there), then one from each heading to the next.
    pub fn sections(&self, len: usize) -> Vec<std::ops::Range<usize>> {
        let mut starts = vec![0];
        starts.extend(self.headings.iter().copied().filter(|&h| h > 0));
        starts
            .iter()
            .enumerate()
            .map(|(i, &start)| start..starts.get(i + 1).copied().unwrap_or(len))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_start_sections_but_not_inside_code() {
        let text = "intro\n\n# One\n\ntext\n\n```\n# not a heading\n```\n\nTwo\n===\n\nmore\n";
        let s = Structure::of(text);
        assert_eq!(
            s.headings,
            [text.find("# One").unwrap(), text.find("Two").unwrap()]
        );
        let sections: Vec<&str> = s
            .sections(text.len())
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[0], "intro\n\n");
        assert!(sections[1].starts_with("# One") && sections[1].contains("# not a heading"));
        assert!(sections[2].starts_with("Two\n===") && sections[2].ends_with("more\n"));
    }

    #[test]
    fn a_document_starting_with_a_heading_has_no_empty_first_section() {
        let text = "# A\nx\n## B\ny";
        let sections = Structure::of(text).sections(text.len());
        assert_eq!(sections, [0..6, 6..text.len()]);
    }

    #[test]
    fn blocks_are_top_level_only() {
        let text = "para one\nstill one\n\n- item\n\n  nested para\n- item\n\n> quote\n> # quoted heading\n\n---\n";
        let s = Structure::of(text);
        let starts: Vec<&str> = s.blocks.iter().map(|&b| &text[b..b + 3]).collect();
        assert_eq!(starts, ["par", "- i", "> q", "---"]);
        assert!(
            s.headings.is_empty(),
            "a heading inside a quote starts no section"
        );
    }
}
