//! The ERR XML writer: the report [`to_json`] builds, in the XML binding.
//!
//! The JSON binding is turned into XML by the correspondence described in
//! [`super::xml`], with child elements in the order of each type's `xsd:sequence` in
//! `err-1500-100-v2.xsd` (base type first), so the output validates against the schema.

use std::fmt::Write as _;

use canvass_model::Election;
use canvass_tally::Results;
use serde_json::Value;

use super::writer::{ErrOptions, to_json};
use super::xml::{ERR_NAMESPACE, IDREFS};

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Types whose schema element is abstract: they need `xsi:type`.
const CONCRETE_OF_ABSTRACT: &[&str] = &[
    "ReportingUnit",
    "ReportingDevice",
    "CandidateContest",
    "BallotMeasureContest",
    "PartyContest",
    "RetentionContest",
    "CandidateSelection",
    "BallotMeasureSelection",
    "PartySelection",
];

/// Child element order per type, from the schema's `xsd:sequence`s: the base type's, then
/// the extension's.
fn order(ty: &str) -> [&'static [&'static str]; 2] {
    let ext: &'static [&'static str] = match ty {
        "CandidateContest" => &[
            "NumberElected",
            "NumberRunoff",
            "OfficeIds",
            "PrimaryPartyIds",
            "VotesAllowed",
        ],
        "BallotMeasureContest" => &[
            "ConStatement",
            "EffectOfAbstain",
            "FullText",
            "InfoUri",
            "PassageThreshold",
            "ProStatement",
            "SummaryText",
            "Type",
            "OtherType",
        ],
        _ => &[],
    };
    [base(ty), ext]
}

/// The base (or only) sequence of a type.
fn base(ty: &str) -> &'static [&'static str] {
    const CONTEST: [&str; 15] = [
        "Abbreviation",
        "BallotSubTitle",
        "BallotTitle",
        "ContestSelection",
        "CountStatus",
        "ElectionDistrictId",
        "ExternalIdentifier",
        "HasRotation",
        "Name",
        "OtherCounts",
        "SequenceOrder",
        "SubUnitsReported",
        "TotalSubUnits",
        "VoteVariation",
        "OtherVoteVariation",
    ];
    match ty {
        "ElectionReport" => &[
            "Election",
            "ExternalIdentifier",
            "Format",
            "GeneratedDate",
            "GpUnit",
            "Header",
            "Issuer",
            "IssuerAbbreviation",
            "IsTest",
            "Notes",
            "Office",
            "OfficeGroup",
            "Party",
            "Person",
            "SequenceStart",
            "SequenceEnd",
            "Status",
            "TestType",
            "VendorApplicationId",
        ],
        "ReportingUnit" => &[
            "ComposingGpUnitIds",
            "ExternalIdentifier",
            "Name",
            "AuthorityIds",
            "ContactInformation",
            "CountStatus",
            "ElectionAdministration",
            "IsDistricted",
            "IsMailOnly",
            "Number",
            "PartyRegistration",
            "SpatialDimension",
            "SubUnitsReported",
            "TotalSubUnits",
            "Type",
            "OtherType",
            "VotersParticipated",
            "VotersRegistered",
        ],
        "Party" => &[
            "Abbreviation",
            "Color",
            "ContactInformation",
            "ExternalIdentifier",
            "IsRecognizedParty",
            "LeaderPersonIds",
            "LogoUri",
            "Name",
            "PartyScopeGpUnitIds",
            "Slogan",
        ],
        "Person" => &[
            "ContactInformation",
            "DateOfBirth",
            "ExternalIdentifier",
            "FirstName",
            "FullName",
            "Gender",
            "LastName",
            "MiddleName",
            "Nickname",
            "PartyId",
            "Prefix",
            "Profession",
            "Suffix",
            "Title",
        ],
        "Candidate" => &[
            "BallotName",
            "CampaignSlogan",
            "ContactInformation",
            "ExternalIdentifier",
            "FileDate",
            "IsIncumbent",
            "IsTopTicket",
            "PartyId",
            "PersonId",
            "PostElectionStatus",
            "PreElectionStatus",
        ],
        "Election" => &[
            "BallotCounts",
            "BallotStyle",
            "Candidate",
            "ContactInformation",
            "Contest",
            "CountStatus",
            "ElectionScopeId",
            "ExternalIdentifier",
            "Name",
            "StartDate",
            "EndDate",
            "Type",
            "OtherType",
        ],
        "CandidateContest" | "BallotMeasureContest" => &CONTEST,
        "CandidateSelection" => &[
            "SequenceOrder",
            "VoteCounts",
            "CandidateIds",
            "EndorsementPartyIds",
            "IsWriteIn",
        ],
        "BallotMeasureSelection" => &[
            "SequenceOrder",
            "VoteCounts",
            "ExternalIdentifier",
            "Selection",
        ],
        "VoteCounts" => &[
            "DeviceClass",
            "GpUnitId",
            "IsSuppressedForPrivacy",
            "Round",
            "Type",
            "OtherType",
            "Count",
        ],
        "OtherCounts" => &[
            "DeviceClass",
            "GpUnitId",
            "Overvotes",
            "Undervotes",
            "WriteIns",
        ],
        "CountStatus" => &["Status", "Type", "OtherType"],
        "ExternalIdentifier" => &["Type", "OtherType", "Value"],
        "InternationalizedText" => &["Text"],
        _ => &[],
    }
}

/// Writes `r` (tabulated from `e`) as an ERR `ElectionReport` in the XML binding: the same
/// report as [`to_json`], so [`super::read_xml`] and [`super::read_json`] read the same
/// counts from the two.
pub fn to_xml(e: &Election, r: &Results, opts: &ErrOptions) -> String {
    json_to_xml(&to_json(e, r, opts))
}

/// The XML binding of a JSON-binding report as [`to_json`] writes it.
pub(crate) fn json_to_xml(report: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<ElectionReport xmlns=\"{ERR_NAMESPACE}\" xmlns:xsi=\"{XSI}\">"
    );
    if let Value::Object(m) = report {
        children(&mut out, m, "ElectionReport", 1);
    }
    out.push_str("\n</ElectionReport>\n");
    out
}

fn indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// The short type name of an object (`@type` without its `ElectionResults.` prefix).
fn type_of(m: &serde_json::Map<String, Value>) -> &str {
    m.get("@type")
        .and_then(Value::as_str)
        .map_or("", |t| t.strip_prefix("ElectionResults.").unwrap_or(t))
}

fn children(out: &mut String, m: &serde_json::Map<String, Value>, ty: &str, depth: usize) {
    let [base, ext] = order(ty);
    let rank = |k: &str| {
        base.iter()
            .position(|n| *n == k)
            .or_else(|| ext.iter().position(|n| *n == k).map(|i| base.len() + i))
            .unwrap_or(usize::MAX)
    };
    let mut keys: Vec<&String> = m.keys().filter(|k| !k.starts_with('@')).collect();
    // Schema order; keys the table does not know keep their map order at the end.
    keys.sort_by_key(|k| rank(k));
    for k in keys {
        match &m[k.as_str()] {
            Value::Array(items) if IDREFS.contains(&k.as_str()) => {
                let ids: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                indent(out, depth);
                let _ = write!(out, "<{k}>{}</{k}>", escape(&ids.join(" ")));
            }
            Value::Array(items) => {
                for item in items {
                    element(out, k, item, depth);
                }
            }
            v => element(out, k, v, depth),
        }
    }
}

fn element(out: &mut String, name: &str, v: &Value, depth: usize) {
    indent(out, depth);
    match v {
        Value::Object(m) => {
            let ty = type_of(m);
            let _ = write!(out, "<{name}");
            if CONCRETE_OF_ABSTRACT.contains(&ty) {
                let _ = write!(out, " xsi:type=\"{ty}\"");
            }
            if let Some(id) = m.get("@id").and_then(Value::as_str) {
                let _ = write!(out, " ObjectId=\"{}\"", escape(id));
            }
            if ty == "LanguageString" || m.contains_key("Content") {
                let lang = m.get("Language").and_then(Value::as_str).unwrap_or("en");
                let content = m.get("Content").and_then(Value::as_str).unwrap_or("");
                let _ = write!(
                    out,
                    " Language=\"{}\">{}</{name}>",
                    escape(lang),
                    escape(content)
                );
                return;
            }
            out.push('>');
            children(out, m, ty, depth + 1);
            indent(out, depth);
            let _ = write!(out, "</{name}>");
        }
        Value::String(s) => {
            let _ = write!(out, "<{name}>{}</{name}>", escape(s));
        }
        Value::Null => {
            let _ = write!(out, "<{name}/>");
        }
        other => {
            let _ = write!(out, "<{name}>{other}</{name}>");
        }
    }
}
