//! A private PostgreSQL server for tests: `initdb` in a temporary directory, listening only on
//! a Unix socket there, stopped (`pg_ctl stop -m immediate`) and removed when dropped.
//!
//! Binaries: `$CANVASS_PG_BIN`, else `initdb` on `PATH`, else the newest
//! `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package; `scripts/test` installs it).
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
//! `CANVASS_TEST_DATABASE_URL` (a `key=value` connection string to a server where the user may
//! create databases) uses that server instead.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running private server (or the one named by `CANVASS_TEST_DATABASE_URL`).
pub struct PgServer {
    /// Connection string of the admin database, without `dbname`.
    base: String,
    /// The server's directory and how to stop it; `None` for an outside server.
    own: Option<Own>,
}

struct Own {
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<String>,
}

fn bin_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("CANVASS_PG_BIN") {
        return PathBuf::from(p);
    }
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !p.is_empty() {
            let real = std::fs::canonicalize(&p).unwrap_or_else(|_| PathBuf::from(&p));
            return real.parent().map(Path::to_path_buf).unwrap_or_default();
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): \
             run scripts/test, which installs it, or apt-get install postgresql, or set \
             CANVASS_PG_BIN or CANVASS_TEST_DATABASE_URL"
        )
    })
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgServer {
    /// Starts a private server (about a second), or uses `CANVASS_TEST_DATABASE_URL`.
    pub fn start() -> PgServer {
        if let Ok(url) = std::env::var("CANVASS_TEST_DATABASE_URL") {
            return PgServer {
                base: url,
                own: None,
            };
        }
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("canvass-pg-")
            .tempdir()
            .expect("temporary directory");
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let user = root.then(|| "postgres".to_owned());
        if let Some(u) = &user {
            run(
                Command::new("chown").arg(format!("{u}:")).arg(dir.path()),
                "chown of the test database directory",
            );
        }
        let data = dir.path().join("data");
        let as_user = |prog: &str| {
            let mut c = match &user {
                Some(u) => {
                    let mut c = Command::new("runuser");
                    c.args(["-u", u, "--"]).arg(bin.join(prog));
                    c
                }
                None => Command::new(bin.join(prog)),
            };
            c.env("LC_ALL", "C");
            c
        };
        run(
            as_user("initdb").arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]),
            "initdb",
        );
        let opts = format!(
            "-k {} -p 5432 -c listen_addresses= -c max_connections=100",
            dir.path().display()
        );
        run(
            as_user("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("server.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"]),
            "pg_ctl start",
        );
        // A test binary often keeps its server in a `static`, which is never dropped: a
        // watchdog stops the server and removes its directory once this process has exited
        // (normally, by a panic, or killed).
        let stop = match &user {
            Some(u) => format!("runuser -u {u} -- '{}'", bin.join("pg_ctl").display()),
            None => format!("'{}'", bin.join("pg_ctl").display()),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {stop} -D '{data}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            data = data.display(),
            dir = dir.path().display(),
        );
        // Deliberately not waited for: it outlives this process.
        #[allow(clippy::zombie_processes)]
        let _watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the test database watchdog");
        PgServer {
            base: format!("host={} port=5432 user=postgres", dir.path().display()),
            own: Some(Own { dir, bin, user }),
        }
    }

    /// A connection string for database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("{} dbname={db}", self.base)
    }

    /// Creates a fresh, uniquely named database and returns its connection string.
    pub fn fresh_database(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "canvass_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the test server");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        self.url(&name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some(own) = &self.own {
            let data = own.dir.path().join("data");
            let mut c = match &own.user {
                Some(u) => {
                    let mut c = Command::new("runuser");
                    c.args(["-u", u, "--"]).arg(own.bin.join("pg_ctl"));
                    c
                }
                None => Command::new(own.bin.join("pg_ctl")),
            };
            let _ = c
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}
