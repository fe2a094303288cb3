//! NIST SP 1500-100 v2 Election Results Reporting (ERR): results in JSON and XML.
//!
//! Implements the JSON binding of the Common Data Format for election results
//! (`err-1500-100-v2.schema.json`, usnistgov/ElectionResultsReporting, branch `version2`).
//! An `ElectionReport` holds the geography (`GpUnit`), parties, people, and one `Election`
//! with its candidates and contests; every `ContestSelection` carries `VoteCounts` per
//! reporting unit:
//!
//! ```text
//! {"@type": "ElectionResults.ElectionReport", "Format": "summary-contest", ...,
//!  "GpUnit": [{"@id": "gpu-ME", "@type": "ElectionResults.ReportingUnit", "Type": "state", ...}],
//!  "Election": [{"Contest": [{"@id": "con-house-ME-01",
//!     "@type": "ElectionResults.CandidateContest", "ElectionDistrictId": "gpu-ME-01",
//!     "ContestSelection": [{"@id": "sel-house-ME-01.alice", "CandidateIds": ["can-alice"],
//!       "VoteCounts": [{"@type": "ElectionResults.VoteCounts", "GpUnitId": "gpu-ME-01",
//!                       "Type": "total", "Count": 612}]}]}]}]}
//! ```
//!
//! - [`to_json`] writes a canonical [`canvass_tally::Results`] document as an ERR report.
//! - [`read_json`] reads an ERR report back into precinct (or county) counts mapped to an
//!   election definition.
//! - [`to_xml`] and [`read_xml`] do the same in the XML binding (`err-1500-100-v2.xsd`);
//!   the XML reader reads into the JSON binding's shape and maps it by the same rules.
//!
//! How canvass maps its model onto ERR:
//!
//! | canvass | ERR |
//! |---|---|
//! | nation, state, county, district, precinct | `ReportingUnit` of `Type` `country`, `state`, `county`, `congressional`, `precinct`; parents list children in `ComposingGpUnitIds` |
//! | ticket | `CandidateSelection` with both people's `CandidateIds` |
//! | fusion lines | `EndorsementPartyIds`; the counts are the sum over the lines |
//! | generic write-in | `CandidateSelection` with `IsWriteIn` and no candidates |
//! | overvotes, undervotes | `OtherCounts` per reporting unit |
//! | supermajority measure | `VoteVariation` `super-majority` and a `PassageThreshold` text |
//! | contest ballots | not in ERR per contest; the reader derives them (see [`read_json`]) |
//!
//! Every object also carries the canvass id in an `ExternalIdentifier` of `Type` `other`,
//! `OtherType` `canvass` where the schema allows one, so a report converts back exactly.

mod reader;
mod writer;
mod xml;
mod xml_writer;

pub use reader::{read_json, read_json_value};
pub use writer::{ErrOptions, to_json};
pub use xml::{ERR_NAMESPACE, MAX_XML_DEPTH, read_xml, xml_to_json};
pub use xml_writer::to_xml;

/// `OtherType` of the `ExternalIdentifier` that holds a canvass id.
pub const CANVASS_ID_TYPE: &str = "canvass";
