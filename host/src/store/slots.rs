//! The placeholders of statements built at run time with many values (multi-row inserts,
//! `IN (…)` lists): `$1, $2, …` on PostgreSQL, anonymous `?` on SQLite.
//!
//! SQLite finds a numbered or named parameter (`$7`, `?7`, `:name`) by a linear search of
//! the statement's parameter names, and sqlx asks for the name of every value it binds
//! (`sqlite3_bind_parameter_name`): binding the 1,025 values of a 64-record insert cost
//! half a million comparisons, a tenth of the server's CPU at 0 ms latency (perf). An
//! anonymous `?` has no name to search, and takes the next value in bind order. So every
//! placeholder a [`Slots`] writes is bound once, in the order written: a value used twice
//! (a shared timestamp, an id in a `CASE` and in an `IN` list) is bound twice.

use std::fmt::Write as _;

use super::Backend;

/// Writes one statement's placeholders, in the order their values are bound.
pub(crate) struct Slots {
    /// `$n` (PostgreSQL) rather than `?` (SQLite).
    numbered: bool,
    /// Placeholders written so far.
    written: usize,
}

impl Slots {
    /// No placeholder written yet, for a statement on `backend`.
    pub(crate) fn new(backend: Backend) -> Self {
        Slots {
            numbered: backend == Backend::Postgres,
            written: 0,
        }
    }

    /// Appends the next value's placeholder to `sql`.
    pub(crate) fn push(&mut self, sql: &mut String) {
        self.written += 1;
        if self.numbered {
            // Writing to a String cannot fail.
            let _ = write!(sql, "${}", self.written);
        } else {
            sql.push('?');
        }
    }

    /// Appends the placeholders of `count` values to `sql`, separated by `", "` (a row of a
    /// multi-row `VALUES`, an `IN (…)` list).
    pub(crate) fn push_list(&mut self, sql: &mut String, count: usize) {
        for i in 0..count {
            if i > 0 {
                sql.push_str(", ");
            }
            self.push(sql);
        }
    }

    /// Appends `rows` rows of a multi-row `VALUES` to `sql`, `(…), (…)`, each written by
    /// `row` (its placeholders, and any literal between them).
    pub(crate) fn push_rows(
        &mut self,
        sql: &mut String,
        rows: usize,
        mut row: impl FnMut(&mut Self, &mut String),
    ) {
        for i in 0..rows {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            row(self, sql);
            sql.push(')');
        }
    }

    /// The placeholders of `count` values, separated by `", "`.
    pub(crate) fn list(&mut self, count: usize) -> String {
        let mut sql = String::new();
        self.push_list(&mut sql, count);
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_the_order_written() {
        let mut slots = Slots::new(Backend::Postgres);
        let mut sql = String::from("(");
        slots.push_list(&mut sql, 3);
        sql.push_str("), (");
        slots.push(&mut sql);
        sql.push(')');
        assert_eq!(sql, "($1, $2, $3), ($4)");
        assert_eq!(slots.list(2), "$5, $6");
        let mut rows = String::new();
        slots.push_rows(&mut rows, 2, |slots, sql| {
            slots.push(sql);
            sql.push_str(", 'x'");
        });
        assert_eq!(rows, "($7, 'x'), ($8, 'x')");
    }

    #[test]
    fn sqlite_placeholders_are_anonymous() {
        let mut slots = Slots::new(Backend::Sqlite);
        let mut sql = String::new();
        slots.push_list(&mut sql, 3);
        assert_eq!(sql, "?, ?, ?");
        assert_eq!(slots.list(1), "?");
        assert_eq!(slots.list(0), "");
    }
}
