//! `canvass election`: list, show, export and check election definitions.

use std::process::ExitCode;

use canvass_model::{
    BUILTIN_NAMES, DefinitionError, DefinitionFormat, Election, ElectionSummary, builtin,
    parse_definition, to_json_pretty, to_toml,
};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::cmd::{fail, print_json};

/// Work with election definitions.
#[derive(Args)]
#[command(after_help = "Examples:
  canvass election list
  canvass election show us-2020
  canvass election show us-2024 --json
  canvass election export us-2020 --format toml > us-2020.toml
  canvass election check us-2020.toml
  canvass election hash us-2020.toml")]
pub struct ElectionArgs {
    #[command(subcommand)]
    command: ElectionCommand,
}

#[derive(Subcommand)]
enum ElectionCommand {
    /// List the built-in elections.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show an election's headline figures: electoral votes, seats, contests, states.
    #[command(after_help = "Examples:
  canvass election show us-2020
  canvass election show ./my-election.toml --json")]
    Show {
        /// A built-in election name (see `canvass election list`) or a definition file.
        election: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write an election's full definition as TOML or canonical JSON.
    #[command(after_help = "Examples:
  canvass election export us-2020 --format toml > us-2020.toml
  canvass election export us-2024 --format json > us-2024.json")]
    Export {
        /// A built-in election name or a definition file.
        election: String,
        /// The output format.
        #[arg(long, value_enum, default_value = "toml")]
        format: ExportFormat,
    },
    /// Print the SHA-256 of a definition's canonical bytes: what the roster binds
    /// (`definition_sha256`) and what `GET /api/election` serves.
    #[command(
        after_help = "The canonical bytes are the compact JSON of the definition in its fixed field \
order (`canvass election export --format canonical`); a TOML file and its JSON export hash the same.

Examples:
  canvass election hash us-2020
  canvass election hash my-election.toml --json"
    )]
    Hash {
        /// A built-in election name or a definition file.
        election: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Validate a definition file; every problem is reported with file, line and column.
    #[command(
        after_help = "Exit status: 0 when the definition is valid, 1 when it is not.

Examples:
  canvass election check my-election.toml
  canvass election check my-election.json --json"
    )]
    Check {
        /// The definition file (`.toml`, or `.json` for the canonical form).
        file: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// TOML, the human-written form.
    Toml,
    /// Pretty JSON, one field per line.
    Json,
    /// Compact JSON in the fixed field order: the canonical bytes the roster binds by SHA-256.
    Canonical,
}

/// Runs `canvass election`.
pub fn run(args: ElectionArgs) -> ExitCode {
    match args.command {
        ElectionCommand::List { json } => list(json),
        ElectionCommand::Show { election, json } => match load(&election) {
            Ok(e) => show(&e, json),
            Err(code) => code,
        },
        ElectionCommand::Export { election, format } => match load(&election) {
            Ok(e) => export(&e, format),
            Err(code) => code,
        },
        ElectionCommand::Hash { election, json } => match load(&election) {
            Ok(e) => hash(&election, &e, json),
            Err(code) => code,
        },
        ElectionCommand::Check { file, json } => check(&file, json),
    }
}

/// Loads a built-in election by name, or a definition file; reports failure on stderr.
pub fn load(name_or_file: &str) -> Result<Election, ExitCode> {
    if let Some(result) = builtin(name_or_file) {
        return result.map_err(|e| fail(&format!("built-in election is inconsistent: {e}")));
    }
    let text = read_definition(name_or_file)?;
    parse_definition(&text, DefinitionFormat::from_path(name_or_file), name_or_file).map_err(
        |err| {
            print_diagnostics(&err);
            eprintln!(
                "error: {} is not a valid election definition: run `canvass election check {}` for details",
                name_or_file, name_or_file
            );
            ExitCode::from(1)
        },
    )
}

fn read_definition(path: &str) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|e| {
        fail(&format!(
            "cannot read {path}: {e}: give a definition file, or one of the built-in elections ({})",
            BUILTIN_NAMES.join(", ")
        ))
    })
}

fn print_diagnostics(err: &DefinitionError) {
    for d in &err.diagnostics {
        eprintln!("{d}");
    }
}

fn list(json: bool) -> ExitCode {
    let mut rows = Vec::new();
    for name in BUILTIN_NAMES {
        match builtin(name) {
            Some(Ok(e)) => rows.push((name, e.election.name.clone(), e.election.date.clone())),
            Some(Err(msg)) => return fail(&msg),
            None => {}
        }
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(id, name, date)| json!({"id": id, "name": name, "date": date}))
            .collect();
        print_json(&v)
    } else {
        for (id, name, date) in rows {
            outln!("{id:<10} {date}  {name}");
        }
        ExitCode::SUCCESS
    }
}

fn show(e: &Election, json: bool) -> ExitCode {
    let s = ElectionSummary::of(e);
    if json {
        return print_json(&s);
    }
    outln!("{} ({}), {}", s.name, s.id, s.date);
    outln!(
        "  Electoral College   {} electoral votes, {} to win",
        s.electoral_votes_total,
        s.electoral_votes_to_win
    );
    outln!(
        "  House               {} voting seats, {} contests ({} non-voting delegates)",
        s.house_seats,
        s.house_contests,
        s.delegate_contests
    );
    outln!("  Senate              {} contests", s.senate_contests);
    outln!("  Governors           {} contests", s.governor_contests);
    outln!("  Ballot measures     {} contests", s.measure_contests);
    outln!(
        "  Ranked choice       {} contests",
        s.ranked_choice_contests
    );
    outln!(
        "  Geography           {} states and DC, {} territories, {} counties, {} precincts, {} reporting jurisdictions",
        s.states.len(),
        s.territories.len(),
        s.counties,
        s.precincts,
        s.jurisdictions
    );
    if s.placeholder_candidates > 0 {
        outln!(
            "  Placeholders        {} candidate names are placeholders, not public record",
            s.placeholder_candidates
        );
    }
    outln!();
    outln!("  state  EV  allocation       House  counties");
    for st in s.states.iter().chain(&s.territories) {
        let alloc = match st.allocation {
            canvass_model::Allocation::WinnerTakeAll => "winner-take-all",
            canvass_model::Allocation::District => "district",
            canvass_model::Allocation::None => "none",
        };
        outln!(
            "  {:<5} {:>3}  {:<16} {:>5}  {:>8}",
            st.postal,
            st.electoral_votes,
            alloc,
            st.house_seats,
            st.counties
        );
    }
    for note in &e.election.notes {
        outln!("  note: {note}");
    }
    ExitCode::SUCCESS
}

fn export(e: &Election, format: ExportFormat) -> ExitCode {
    match format {
        ExportFormat::Toml => match to_toml(e) {
            Ok(s) => {
                out!("{s}");
                ExitCode::SUCCESS
            }
            Err(err) => fail(&format!("cannot write TOML: {err}")),
        },
        ExportFormat::Json => {
            out!("{}", to_json_pretty(e));
            ExitCode::SUCCESS
        }
        ExportFormat::Canonical => {
            out!(
                "{}",
                String::from_utf8_lossy(&canvass_server::roster::definition_bytes(e))
            );
            ExitCode::SUCCESS
        }
    }
}

fn hash(name: &str, e: &Election, json: bool) -> ExitCode {
    let sha = canvass_server::roster::definition_sha256(e);
    if json {
        return print_json(
            &json!({"election": e.election.id, "source": name, "definition_sha256": sha}),
        );
    }
    outln!("{sha}  {name}");
    ExitCode::SUCCESS
}

fn check(file: &str, json: bool) -> ExitCode {
    let text = match read_definition(file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let result = parse_definition(&text, DefinitionFormat::from_path(file), file);
    if json {
        let diagnostics: Vec<_> = result
            .as_ref()
            .err()
            .map(|e| e.diagnostics.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|d| {
                json!({"file": d.file, "line": d.line, "column": d.column, "rule": d.rule.as_str(),
                       "path": d.path, "message": d.message})
            })
            .collect();
        print_json(&json!({"file": file, "valid": result.is_ok(), "diagnostics": diagnostics}));
    }
    match result {
        Ok(e) => {
            if !json {
                let s = ElectionSummary::of(&e);
                outln!(
                    "{file}: ok: {} ({}), {} contests, {} states and territories, {} counties, {} precincts",
                    s.name,
                    s.id,
                    s.contests,
                    s.states.len() + s.territories.len(),
                    s.counties,
                    s.precincts
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            if !json {
                print_diagnostics(&err);
                eprintln!(
                    "{file}: {} problem(s); fix them and run `canvass election check {file}` again",
                    err.diagnostics.len()
                );
            }
            ExitCode::from(1)
        }
    }
}
