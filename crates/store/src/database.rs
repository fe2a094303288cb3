//! Choosing the relational store: `canvass serve --database URL`.
//!
//! - nothing given: the embedded SQLite file `<data>/canvass.db` (the default);
//! - `postgres://…` or `postgresql://…` (libpq's URL form, e.g.
//!   `postgresql://canvass@db.example/canvass` or `postgresql:///canvass?host=/run/postgresql`);
//! - a libpq `key=value` string naming a host, e.g. `host=/run/postgresql dbname=canvass`;
//! - `sqlite:PATH`: another SQLite file.
//!
//! TLS to PostgreSQL is not supported yet: use a Unix socket or a private network.

use std::path::{Path, PathBuf};

use crate::Store;
use crate::postgres::{PgStore, redact};
use crate::records::DbError;
use crate::sqlite::SqliteStore;

/// Where the relational store lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server: the connection string (URL or `key=value`).
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password.
        write!(f, "Database({self})")
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            Database::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// The `key=value` keys of a libpq connection string that say where the server is.
const PG_KEYS: &[&str] = &["host=", "hostaddr=", "dbname=", "user=", "port="];

impl Database {
    /// The default store of a data directory: `<data>/canvass.db`.
    pub fn default_for(data: &Path) -> Database {
        Database::Sqlite(data.join("canvass.db"))
    }

    /// Reads a `--database` value (see the module documentation).
    ///
    /// # Errors
    /// [`DbError::BadUrl`] for anything else.
    pub fn parse(s: &str) -> Result<Database, DbError> {
        let t = s.trim();
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Database::Postgres(t.to_owned()));
        }
        if let Some(p) = t.strip_prefix("sqlite:") {
            if p.is_empty() {
                return Err(DbError::BadUrl {
                    url: redact(t),
                    reason: "sqlite: needs a file name, e.g. sqlite:/var/lib/canvass/canvass.db"
                        .into(),
                });
            }
            return Ok(Database::Sqlite(PathBuf::from(p)));
        }
        if t.split_whitespace()
            .any(|kv| PG_KEYS.iter().any(|k| kv.starts_with(k)))
        {
            return Ok(Database::Postgres(t.to_owned()));
        }
        Err(DbError::BadUrl {
            url: redact(t),
            reason: "give postgres://…, postgresql://…, a key=value string such as \
                     `host=/run/postgresql dbname=canvass`, or sqlite:FILE"
                .into(),
        })
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }

    /// Opens the store (creating and migrating it as needed).
    ///
    /// # Errors
    /// As [`SqliteStore::open`] and [`PgStore::connect`].
    pub fn open(&self) -> Result<Box<dyn Store + Send>, DbError> {
        Ok(match self {
            Database::Sqlite(p) => Box::new(SqliteStore::open(p)?),
            Database::Postgres(url) => Box::new(PgStore::connect(url)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(
            Database::parse("postgres://u:pw@db.example/canvass").unwrap(),
            Database::Postgres("postgres://u:pw@db.example/canvass".into())
        );
        assert!(
            Database::parse("postgresql:///canvass?host=/run/postgresql")
                .unwrap()
                .is_postgres()
        );
        assert!(
            Database::parse("host=/tmp/pg port=5432 dbname=x")
                .unwrap()
                .is_postgres()
        );
        assert_eq!(
            Database::parse("sqlite:/var/lib/c.db").unwrap(),
            Database::Sqlite("/var/lib/c.db".into())
        );
        for bad in ["", "mysql://x", "canvass.db", "sqlite:"] {
            assert!(
                matches!(Database::parse(bad), Err(DbError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn never_shows_a_password() {
        let d = Database::parse("postgres://u:secret@h/db").unwrap();
        assert!(!format!("{d} {d:?}").contains("secret"));
        let d = Database::parse("host=h password=secret dbname=db").unwrap();
        assert!(!format!("{d} {d:?}").contains("secret"));
    }
}
