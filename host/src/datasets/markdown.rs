//! Text from users (file names, pipeline and model names, parameters) put into a dataset
//! card's Markdown so that it stays what it is: one code span or one table cell, never new
//! lines, headings, links, HTML or table columns.

/// `text` as one inline code span: on one line (line breaks and other control characters
/// become spaces), fenced by more backticks than the longest run of them inside it, so
/// nothing in it is read as Markdown or HTML.
pub fn code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in flat.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space between it and the fence.
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// `text` as the content of one table cell: [`code`], with every `|` escaped (a table splits
/// cells at `|` even inside code spans).
pub fn cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_anything_on_one_line() {
        assert_eq!(code("chats.jsonl"), "`chats.jsonl`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(
            code("x.csv\n---\n# evil <img src=x>"),
            "`x.csv --- # evil <img src=x>`"
        );
        assert_eq!(cell("gpt|4"), "`gpt\\|4`");
    }
}
