//! Identifier newtypes, so that one kind of id cannot be passed as another.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a string as this kind of id.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// An election, e.g. `us-2020`.
    ElectionId
);
id_type!(
    /// A state, DC or territory, by USPS postal code, e.g. `PA`.
    StateId
);
id_type!(
    /// A county or county-equivalent, by its five-digit FIPS code, e.g. `42001`.
    CountyId
);
id_type!(
    /// A congressional district, e.g. `PA-01`, or `WY-AL` for an at-large seat.
    DistrictId
);
id_type!(
    /// A precinct, unique within the election, e.g. `42001-0001`.
    PrecinctId
);
id_type!(
    /// A reporting jurisdiction: the unit that signs submissions.
    JurisdictionId
);
id_type!(
    /// A political party or ballot line, e.g. `DEM`.
    PartyId
);
id_type!(
    /// A candidate.
    CandidateId
);
id_type!(
    /// A President and Vice President ticket.
    TicketId
);
id_type!(
    /// A contest.
    ContestId
);
id_type!(
    /// A selection within one contest.
    SelectionId
);
