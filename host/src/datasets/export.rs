//! Writing rows as JSON Lines, one JSON list or CSV, a page at a time: a header, then each
//! page's bytes, then a footer, so that an export of any size is streamed (the API's download
//! and `blockforge dataset export` share this).

use serde_json::Value;

use super::Row;

/// A format rows are exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One object per line.
    Jsonl,
    /// One JSON list.
    Json,
    /// CSV with a header line: strings as they are, nested values as JSON.
    Csv {
        /// A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`,
        /// `-`, `@`, a tab or a carriage return) is written with a `'` before it, as OWASP
        /// advises against CSV injection. On unless turned off.
        formula_guard: bool,
    },
}

impl ExportFormat {
    /// Every format's name.
    pub const NAMES: &[&str] = &["jsonl", "json", "csv"];

    /// The format named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "jsonl" => Some(ExportFormat::Jsonl),
            "json" => Some(ExportFormat::Json),
            "csv" => Some(ExportFormat::Csv {
                formula_guard: true,
            }),
            _ => None,
        }
    }

    /// The same format, CSV without its formula guard when `guard` is false.
    pub fn formula_guard(self, guard: bool) -> Self {
        match self {
            ExportFormat::Csv { .. } => ExportFormat::Csv {
                formula_guard: guard,
            },
            other => other,
        }
    }

    /// Its HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "application/x-ndjson",
            ExportFormat::Json => "application/json",
            ExportFormat::Csv { .. } => "text/csv; charset=utf-8",
        }
    }

    /// Its file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Json => "json",
            ExportFormat::Csv { .. } => "csv",
        }
    }

    /// What comes before the rows: CSV's header of `columns`, a JSON list's `[`.
    pub fn header(self, columns: &[String]) -> std::io::Result<Vec<u8>> {
        match self {
            ExportFormat::Csv { .. } => csv_lines([columns.to_vec()]),
            ExportFormat::Json => Ok(b"[".to_vec()),
            ExportFormat::Jsonl => Ok(Vec::new()),
        }
    }

    /// One page of rows; `first` when no row was written before it (a JSON list's commas).
    pub fn page<'a>(
        self,
        rows: impl IntoIterator<Item = &'a Row>,
        columns: &[String],
        first: bool,
    ) -> std::io::Result<Vec<u8>> {
        match self {
            ExportFormat::Csv { formula_guard } => csv_lines(rows.into_iter().map(|row| {
                columns
                    .iter()
                    .map(|column| {
                        let value = row.get(column);
                        match value {
                            Some(Value::String(text)) if formula_guard => guarded(text),
                            _ => cell(value),
                        }
                    })
                    .collect()
            })),
            ExportFormat::Jsonl | ExportFormat::Json => {
                let mut out = Vec::new();
                for (i, row) in rows.into_iter().enumerate() {
                    if self == ExportFormat::Json && !(first && i == 0) {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut out, row).map_err(std::io::Error::other)?;
                    if self == ExportFormat::Jsonl {
                        out.push(b'\n');
                    }
                }
                Ok(out)
            }
        }
    }

    /// What comes after the rows: a JSON list's `]`.
    pub fn footer(self) -> Vec<u8> {
        match self {
            ExportFormat::Json => b"]".to_vec(),
            _ => Vec::new(),
        }
    }
}

/// A CSV cell: strings as they are, null and absent as empty, anything else as compact JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `text` with a `'` before it when a spreadsheet would read it as a formula.
pub fn guarded(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Lines of CSV.
pub fn csv_lines(rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<Vec<u8>> {
    let mut writer = ::csv::WriterBuilder::new()
        .flexible(false)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).map_err(std::io::Error::other)?;
    }
    writer
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formula_cells_are_guarded_unless_asked() {
        let rows: Vec<Row> = vec![
            json!({"t": "=HYPERLINK(\"x\")", "n": -3, "u": "-2", "v": "@SUM(A1)", "w": "ok"})
                .as_object()
                .cloned()
                .unwrap(),
        ];
        let columns: Vec<String> = ["t", "n", "u", "v", "w"].map(str::to_owned).to_vec();
        let csv = ExportFormat::from_name("csv").unwrap();
        let guarded = String::from_utf8(csv.page(&rows, &columns, true).unwrap()).unwrap();
        assert_eq!(guarded, "\"'=HYPERLINK(\"\"x\"\")\",-3,'-2,'@SUM(A1),ok\n");
        let plain = csv.formula_guard(false);
        let plain = String::from_utf8(plain.page(&rows, &columns, true).unwrap()).unwrap();
        assert_eq!(plain, "\"=HYPERLINK(\"\"x\"\")\",-3,-2,@SUM(A1),ok\n");
    }

    #[test]
    fn pages_join_into_one_list() {
        let rows: Vec<Row> = (0..3)
            .map(|i| json!({"i": i}).as_object().cloned().unwrap())
            .collect();
        let format = ExportFormat::Json;
        let mut out = format.header(&[]).unwrap();
        out.extend(format.page(&rows[..2], &[], true).unwrap());
        out.extend(format.page(&rows[2..], &[], false).unwrap());
        out.extend(format.footer());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"[{"i":0},{"i":1},{"i":2}]"#
        );
    }
}
