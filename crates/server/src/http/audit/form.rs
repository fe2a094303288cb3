//! A simple web form for audit boards (no scripts): `GET /audits/{name}/board` lists the open
//! round's drawn ballots that are not yet interpreted, with a choice per ballot-level contest
//! (polling or comparison); posting it returns the interpretations as the CSV `canvass audit interpret
//! --file` reads. The server does not hold the authority's key, so the form cannot log the
//! records itself: an official signs and logs the CSV with the CLI.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use canvass_audit::workflow::AuditState;

use super::state;
use crate::app::App;
use crate::http::ApiError;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The ballots still to interpret in the open round: id → (jurisdiction, tabulator, batch,
/// position), in retrieval order.
fn pending(st: &AuditState) -> Vec<(String, [String; 4])> {
    let Some(u) = &st.universe else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut out: Vec<(String, [String; 4])> = st
        .all_ballot_draws()
        .filter(|d| !st.interpretations.contains_key(&d.draw.id))
        .filter(|d| seen.insert(d.draw.id.clone()))
        .filter_map(|d| {
            let b = u.batches().get(d.batch)?;
            Some((
                d.draw.id.clone(),
                [
                    b.jurisdiction.clone(),
                    b.tabulator.clone().unwrap_or_default(),
                    b.batch.clone(),
                    d.position.to_string(),
                ],
            ))
        })
        .collect();
    out.sort_by(|a, b| {
        (
            &a.1[0],
            &a.1[1],
            &a.1[2],
            a.1[3].parse::<u64>().unwrap_or(0),
        )
            .cmp(&(
                &b.1[0],
                &b.1[1],
                &b.1[2],
                b.1[3].parse::<u64>().unwrap_or(0),
            ))
    });
    out
}

/// `GET /audits/{name}/board`.
#[utoipa::path(get, path = "/audits/{name}/board", tag = "audits",
    params(("name" = String, Path, description = "the audit's name")),
    responses(
        (status = 200, description = "the audit boards' form (HTML, no scripts): the open round's drawn ballots not yet interpreted, with a choice per ballot-level contest", body = String, content_type = "text/html"),
        (status = 404, description = "not-found", body = ApiError)))]
pub(crate) async fn page(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    let st = match state(app, name).await {
        Ok((st, _)) => st,
        Err(r) => return r,
    };
    let contests: Vec<_> = st
        .active_ballots()
        .into_iter()
        .map(|k| &st.start.contests[k])
        .collect();
    let mut h = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Audit board: {a}</title>\
<style>body{{font:14px/1.4 system-ui,sans-serif;margin:2em}}td,th{{border:1px solid #999;padding:2px 6px}}table{{border-collapse:collapse}}</style></head><body>\
<h1>Audit board entry: {a}</h1><p>Choose what each ballot shows, then download the CSV and give it to the official who logs it with \
<code>canvass audit interpret --board NAME --file FILE</code>.</p><form method=\"post\"><table><thead><tr><th>Jurisdiction</th><th>Tabulator</th><th>Batch</th><th>Position</th>",
        a = esc(&st.audit)
    );
    for c in &contests {
        let _ = write!(h, "<th>{}</th>", esc(&c.name));
    }
    h.push_str("</tr></thead><tbody>");
    let ballots = pending(&st);
    for (id, cols) in &ballots {
        h.push_str("<tr>");
        for c in cols {
            let _ = write!(h, "<td>{}</td>", esc(c));
        }
        for c in &contests {
            let _ = write!(
                h,
                "<td><select name=\"{}|{}\" aria-label=\"{} at position {}\"><option value=\"-\">not on ballot</option><option value=\"\">no vote</option>",
                esc(&c.id),
                esc(id),
                esc(&c.name),
                esc(&cols[3])
            );
            for (sel, _) in &c.tally {
                let _ = write!(h, "<option>{}</option>", esc(sel));
            }
            h.push_str("</select></td>");
        }
        h.push_str("</tr>");
    }
    let _ = writeln!(
        h,
        "</tbody></table><p>{} ballots to interpret.</p><button type=\"submit\">Download the CSV</button></form></body></html>",
        ballots.len()
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        h,
    )
        .into_response()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// `POST /audits/{name}/board`.
#[utoipa::path(post, path = "/audits/{name}/board", tag = "audits",
    params(("name" = String, Path, description = "the audit's name")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "the form's fields: `CONTEST|BALLOT ID` = a selection, empty for no vote, or the not-on-ballot choice"),
    responses(
        (status = 200, description = "interpretations.csv (`jurisdiction,tabulator,batch,position,contest,selections`) for `canvass audit interpret --board NAME --file`; nothing is logged", body = String, content_type = "text/csv"),
        (status = 404, description = "not-found", body = ApiError)))]
pub(crate) async fn submit(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let st = match state(app, name).await {
        Ok((st, _)) => st,
        Err(r) => return r,
    };
    let where_: BTreeMap<String, [String; 4]> = pending(&st).into_iter().collect();
    let mut csv = String::from("jurisdiction,tabulator,batch,position,contest,selections\n");
    for (key, value) in fields {
        let Some((contest, id)) = key.split_once('|') else {
            continue;
        };
        let Some(cols) = where_.get(id) else {
            continue;
        };
        if value == "-" {
            continue;
        }
        let row: Vec<String> = cols
            .iter()
            .map(|c| csv_field(c))
            .chain([csv_field(contest), csv_field(&value)])
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"interpretations.csv\"",
            ),
        ],
        csv,
    )
        .into_response()
}
