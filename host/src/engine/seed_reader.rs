//! Seed files read one seed at a time from any reader, so that a file of any size is read in
//! the memory of one seed: a JSON list element by element (serde's sequence visitor; the list
//! is never one value), JSON Lines and URL lists line by line, CSV record by record. A
//! Markdown document is one seed, its text. No seed's text may pass the reader's
//! `max_seed_bytes`, so one endless element cannot fill the memory. The messages are those of
//! the whole-text parsers this replaced: `seed N: ...`, `line N: ...`, `row N: ...`.

use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

use serde::Deserialize;
use serde::de::{self, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::seed::{Seed, SeedError, seed_from_value};
use super::url_seeds::url_line;

/// A seed file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedFormat {
    /// A JSON list of seeds, or one seed object (`.json`).
    Json,
    /// JSON Lines, one seed object per non-blank line (`.jsonl`).
    Jsonl,
    /// CSV with a header row, one seed per row (`.csv`).
    Csv,
    /// One document: one seed whose `file_content` is the text (`.md`, `.markdown`).
    Markdown,
    /// One URL per line (`.txt`).
    Urls,
}

impl SeedFormat {
    /// The format of the file `name` by its extension (any case), if it has a known one.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_lowercase();
        let by_extension = [
            (".jsonl", SeedFormat::Jsonl),
            (".json", SeedFormat::Json),
            (".csv", SeedFormat::Csv),
            (".md", SeedFormat::Markdown),
            (".markdown", SeedFormat::Markdown),
            (".txt", SeedFormat::Urls),
        ];
        by_extension
            .into_iter()
            .find(|(extension, _)| lower.ends_with(extension))
            .map(|(_, format)| format)
    }
}

/// The UTF-8 byte order mark some editors write first.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Reads the seeds of `input` (a file `origin` in `format`), calling `each` with every seed in
/// order until the input ends or `each` breaks; returns how many seeds were read. A seed whose
/// text passes `max_seed_bytes` stops the read with [`SeedError::TooLong`].
pub fn read_seeds(
    format: SeedFormat,
    input: impl Read,
    origin: &str,
    max_seed_bytes: u64,
    mut each: impl FnMut(Seed) -> ControlFlow<()>,
) -> Result<u64, SeedError> {
    let mut input = BufReader::with_capacity(256 * 1024, input);
    let reader = Reader {
        origin,
        limit: max_seed_bytes,
    };
    if input.fill_buf().map_err(|e| reader.io(e))?.starts_with(BOM) {
        input.consume(BOM.len());
    }
    match format {
        SeedFormat::Json => reader.json(input, &mut each),
        SeedFormat::Jsonl => reader.jsonl(input, &mut each),
        SeedFormat::Csv => reader.csv(input, &mut each),
        SeedFormat::Markdown => reader.markdown(input, &mut each),
        SeedFormat::Urls => reader.urls(input, &mut each),
    }
}

/// Bytes read since the current seed began, shared by a [`Metered`] reader and the parser
/// reading through it.
struct Budget {
    read: Cell<u64>,
    start: Cell<u64>,
    limit: u64,
    passed: Cell<bool>,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Budget {
            read: Cell::new(0),
            start: Cell::new(0),
            limit,
            passed: Cell::new(false),
        }
    }

    /// A new seed begins here.
    fn begin(&self) {
        self.start.set(self.read.get());
    }
}

/// A reader that fails once the current seed has taken more than its [`Budget`] (the parser
/// then stops with an I/O error, and the budget says why).
struct Metered<'a, R> {
    inner: R,
    budget: &'a Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let budget = self.budget;
        let used = budget.read.get() - budget.start.get();
        if used > budget.limit {
            budget.passed.set(true);
            return Err(std::io::Error::other("a seed passed the size limit"));
        }
        // Never more than one byte past the limit, so that the check above is exact.
        let room = usize::try_from((budget.limit - used).saturating_add(1)).unwrap_or(usize::MAX);
        let wanted = buf.len().min(room);
        let read = self.inner.read(&mut buf[..wanted])?;
        budget.read.set(budget.read.get() + read as u64);
        Ok(read)
    }
}

/// One read of one file: its name for messages and the size limit of one seed.
struct Reader<'a> {
    origin: &'a str,
    limit: u64,
}

impl Reader<'_> {
    fn invalid(&self, message: String) -> SeedError {
        SeedError::Invalid {
            origin: self.origin.to_owned(),
            message,
        }
    }

    fn io(&self, source: std::io::Error) -> SeedError {
        SeedError::Read {
            path: self.origin.to_owned(),
            source,
        }
    }

    fn too_long(&self, seed: u64) -> SeedError {
        SeedError::TooLong {
            origin: self.origin.to_owned(),
            seed,
            limit: self.limit,
        }
    }

    fn no_seeds(&self) -> SeedError {
        self.invalid("the file holds no seeds".to_owned())
    }

    /// Seed `number` from `value`, handed to `each`; `Break` when `each` stopped.
    fn seed(
        &self,
        number: u64,
        value: Value,
        each: &mut impl FnMut(Seed) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, SeedError> {
        let seed = seed_from_value(value)
            .map_err(|message| self.invalid(format!("seed {number}: {message}")))?;
        Ok(each(seed))
    }

    fn json(
        &self,
        input: impl Read,
        each: &mut impl FnMut(Seed) -> ControlFlow<()>,
    ) -> Result<u64, SeedError> {
        let budget = Budget::new(self.limit);
        let mut deserializer = serde_json::Deserializer::from_reader(Metered {
            inner: input,
            budget: &budget,
        });
        let mut top = TopLevel {
            reader: self,
            budget: &budget,
            each,
            seeds: 0,
            failure: None,
            stopped: false,
        };
        let result = (&mut deserializer).deserialize_any(&mut top);
        if let Some(failure) = top.failure {
            return Err(failure);
        }
        if budget.passed.get() {
            return Err(self.too_long(top.seeds + 1));
        }
        if top.stopped {
            return Ok(top.seeds);
        }
        if let Err(e) = result {
            return Err(self.invalid(e.to_string()));
        }
        deserializer
            .end()
            .map_err(|e| self.invalid(e.to_string()))?;
        if top.seeds == 0 {
            return Err(self.no_seeds());
        }
        Ok(top.seeds)
    }

    fn jsonl(
        &self,
        mut input: impl BufRead,
        each: &mut impl FnMut(Seed) -> ControlFlow<()>,
    ) -> Result<u64, SeedError> {
        let (mut number, mut seeds) = (0u64, 0u64);
        let mut line = Vec::new();
        while let Some(()) = self.next_line(&mut input, &mut line, seeds + 1)? {
            number += 1;
            if std::str::from_utf8(&line).is_ok_and(|text| text.trim().is_empty()) {
                continue;
            }
            let value = serde_json::from_slice(&line)
                .map_err(|e| self.invalid(format!("line {number}: {e}")))?;
            seeds += 1;
            if self.seed(seeds, value, each)?.is_break() {
                return Ok(seeds);
            }
        }
        if seeds == 0 {
            return Err(self.no_seeds());
        }
        Ok(seeds)
    }

    /// The next line of `input` into `line` (without its LF), `None` at the end; a line longer
    /// than the limit is seed `seed` too long.
    fn next_line(
        &self,
        input: &mut impl BufRead,
        line: &mut Vec<u8>,
        seed: u64,
    ) -> Result<Option<()>, SeedError> {
        line.clear();
        let read = Read::take(&mut *input, self.limit.saturating_add(1))
            .read_until(b'\n', line)
            .map_err(|e| self.io(e))?;
        if read == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if line.len() as u64 > self.limit {
            return Err(self.too_long(seed));
        }
        Ok(Some(()))
    }

    fn csv(
        &self,
        input: impl Read,
        each: &mut impl FnMut(Seed) -> ControlFlow<()>,
    ) -> Result<u64, SeedError> {
        let budget = Budget::new(self.limit);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(Metered {
                inner: input,
                budget: &budget,
            });
        let failed = |e: csv::Error, seed: u64| {
            if budget.passed.get() {
                self.too_long(seed)
            } else {
                self.invalid(e.to_string())
            }
        };
        let headers = reader.headers().map_err(|e| failed(e, 1))?.clone();
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(self.invalid("the CSV has no header row".to_owned()));
        }
        let mut row = csv::StringRecord::new();
        let mut seeds = 0u64;
        loop {
            budget.begin();
            // Rows are counted from 2, the header being row 1.
            let number = seeds + 2;
            match reader.read_record(&mut row) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) if budget.passed.get() => return Err(failed(e, seeds + 1)),
                Err(e) => return Err(self.invalid(format!("row {number}: {e}"))),
            }
            let mut metadata = Map::new();
            let mut seed = Map::new();
            for (header, value) in headers.iter().zip(row.iter()) {
                if header == "repetitions" {
                    let repetitions = value.trim().parse::<u64>().map_err(|_| {
                        self.invalid(format!(
                            "row {number}: `repetitions` must be a whole number, got {value:?}"
                        ))
                    })?;
                    seed.insert("repetitions".to_owned(), Value::from(repetitions));
                } else {
                    metadata.insert(header.to_owned(), Value::String(value.to_owned()));
                }
            }
            seed.insert("metadata".to_owned(), Value::Object(metadata));
            seeds += 1;
            if self.seed(seeds, Value::Object(seed), each)?.is_break() {
                return Ok(seeds);
            }
        }
        if seeds == 0 {
            return Err(self.no_seeds());
        }
        Ok(seeds)
    }

    fn markdown(
        &self,
        input: impl Read,
        each: &mut impl FnMut(Seed) -> ControlFlow<()>,
    ) -> Result<u64, SeedError> {
        let mut bytes = Vec::new();
        input
            .take(self.limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| self.io(e))?;
        if bytes.len() as u64 > self.limit {
            return Err(self.too_long(1));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| self.invalid("the document is not UTF-8 text".to_owned()))?;
        if text.trim().is_empty() {
            return Err(self.invalid("the document is empty".to_owned()));
        }
        let mut metadata = Map::new();
        metadata.insert("file_content".to_owned(), Value::String(text));
        let _ = each(Seed {
            repetitions: 1,
            metadata,
        });
        Ok(1)
    }

    fn urls(
        &self,
        mut input: impl BufRead,
        each: &mut impl FnMut(Seed) -> ControlFlow<()>,
    ) -> Result<u64, SeedError> {
        let (mut number, mut seeds) = (0usize, 0u64);
        let mut line = Vec::new();
        while let Some(()) = self.next_line(&mut input, &mut line, seeds + 1)? {
            // A line ends in LF, CRLF or a lone CR.
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let text = std::str::from_utf8(&line)
                .map_err(|_| self.invalid(format!("line {}: not UTF-8 text", number + 1)))?;
            for part in text.split('\r') {
                number += 1;
                let Some(metadata) = url_line(part, number).map_err(|m| self.invalid(m))? else {
                    continue;
                };
                seeds += 1;
                if each(Seed {
                    repetitions: 1,
                    metadata,
                })
                .is_break()
                {
                    return Ok(seeds);
                }
            }
        }
        if seeds == 0 {
            return Err(self.invalid("the file holds no URLs".to_owned()));
        }
        Ok(seeds)
    }
}

/// A JSON seed file's top level: a list, read element by element, or one seed object.
struct TopLevel<'a, 'r, F> {
    reader: &'a Reader<'r>,
    budget: &'a Budget,
    each: &'a mut F,
    seeds: u64,
    /// Why the read stopped, when a seed was wrong (the JSON error then only says "stop").
    failure: Option<SeedError>,
    /// `each` asked to stop.
    stopped: bool,
}

impl<F: FnMut(Seed) -> ControlFlow<()>> TopLevel<'_, '_, F> {
    /// Hands seed `number` on; an error to stop the parse when it was wrong or `each` broke.
    fn hand_on<E: de::Error>(&mut self, number: u64, value: Value) -> Result<(), E> {
        self.seeds = number;
        match self.reader.seed(number, value, &mut *self.each) {
            Ok(ControlFlow::Continue(())) => Ok(()),
            Ok(ControlFlow::Break(())) => {
                self.stopped = true;
                Err(E::custom("stop"))
            }
            Err(failure) => {
                self.failure = Some(failure);
                Err(E::custom("stop"))
            }
        }
    }

    fn found<E: de::Error>(&mut self, what: &str) -> Result<(), E> {
        self.failure = Some(self.reader.invalid(format!(
            "expected a list of seeds or one seed object, found {what}"
        )));
        Err(E::custom("stop"))
    }
}

impl<'de, F: FnMut(Seed) -> ControlFlow<()>> Visitor<'de> for &mut TopLevel<'_, '_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of seeds or one seed object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.budget.begin();
            let Some(value) = seq.next_element::<Value>()? else {
                return Ok(());
            };
            let number = self.seeds + 1;
            self.hand_on::<A::Error>(number, value)?;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let object = Map::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.hand_on(1, Value::Object(object))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.found("null")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.found("a boolean")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.found("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.found("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.found("a number")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.found("a string")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(format: SeedFormat, text: &str, limit: u64) -> Result<Vec<Seed>, SeedError> {
        let mut seeds = Vec::new();
        read_seeds(format, text.as_bytes(), "f", limit, |seed| {
            seeds.push(seed);
            ControlFlow::Continue(())
        })?;
        Ok(seeds)
    }

    #[test]
    fn a_seed_longer_than_the_limit_stops_the_read_naming_it() {
        let long = format!(
            "[{{\"metadata\": {{}}}}, {{\"metadata\": {{\"a\": \"{}\"}}}}]",
            "x".repeat(200)
        );
        let cases = [
            (SeedFormat::Json, long.clone()),
            (
                SeedFormat::Jsonl,
                format!(
                    "{{\"metadata\": {{}}}}\n{{\"metadata\": {{\"a\": \"{}\"}}}}\n",
                    "x".repeat(200)
                ),
            ),
            (SeedFormat::Csv, format!("a\nb\n{}\n", "x".repeat(200))),
            (
                SeedFormat::Urls,
                format!("https://a.test/\nhttps://a.test/{}\n", "x".repeat(200)),
            ),
        ];
        for (format, text) in cases {
            let err = all(format, &text, 100).expect_err("too long");
            assert!(
                matches!(
                    err,
                    SeedError::TooLong {
                        seed: 2,
                        limit: 100,
                        ..
                    }
                ),
                "{format:?}: {err}"
            );
            assert_eq!(
                all(format, &text, 10_000).expect("read").len(),
                2,
                "{format:?}"
            );
        }
        let err = all(SeedFormat::Markdown, &"y".repeat(101), 100).expect_err("too long");
        assert!(matches!(err, SeedError::TooLong { seed: 1, .. }), "{err}");
        // The same list at its exact size passes: the limit is on the seed, not the file.
        let one = "{\"metadata\": {}}";
        assert_eq!(
            all(SeedFormat::Jsonl, one, one.len() as u64).unwrap().len(),
            1
        );
    }

    #[test]
    fn a_break_stops_the_read_before_a_later_error() {
        let text = "[{\"metadata\": {}}, {\"metadata\": {}}, {\"metadata\": 1}]";
        let mut seen = 0;
        let read = read_seeds(SeedFormat::Json, text.as_bytes(), "f", u64::MAX, |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!((read, seen), (2, 2));
    }

    #[test]
    fn a_list_is_read_whatever_its_spacing_and_a_scalar_is_named() {
        let seeds = all(
            SeedFormat::Json,
            "\n  [\n {\"metadata\": {\"a\": 1}} ,\n\n\"https://a.test/\" ]\n",
            u64::MAX,
        )
        .unwrap();
        assert_eq!(seeds.len(), 2);
        assert_eq!(seeds[1].metadata["url"], "https://a.test/");
        for (text, found) in [
            ("3", "a number"),
            ("\"x\"", "a string"),
            ("null", "null"),
            ("true", "a boolean"),
        ] {
            let err = all(SeedFormat::Json, text, u64::MAX)
                .unwrap_err()
                .to_string();
            assert!(err.ends_with(&format!("found {found}")), "{text}: {err}");
        }
        let err = all(SeedFormat::Json, "[{\"metadata\": {}}] x", u64::MAX)
            .unwrap_err()
            .to_string();
        assert!(err.contains("trailing characters"), "{err}");
        let err = all(SeedFormat::Json, "[]", u64::MAX)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the file holds no seeds"), "{err}");
    }
}
