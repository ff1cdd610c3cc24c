//! The operations workspace: the businesses register and the issues worked against it.

use serde::{Deserialize, Serialize};

/// A closed set of values stored as text: one definition gives the stored name, the label
/// people read and parsing, so the database, the server and the interface agree.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => ($stored:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $stored),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// Every value's stored name and label, in order: the options of a `<select>`.
            pub fn options() -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.as_str(), v.label())).collect()
            }
        }
    };
}

choice!(
    /// How a business relates to the organisation.
    Relationship {
        OwnSite => ("own_site", "Own site"),
        Customer => ("customer", "Customer"),
        Supplier => ("supplier", "Supplier"),
        Competitor => ("competitor", "Competitor"),
        Partner => ("partner", "Partner"),
    }
);

choice!(
    IssueKind {
        Incident => ("incident", "Incident"),
        Task => ("task", "Task"),
        Maintenance => ("maintenance", "Maintenance"),
        Complaint => ("complaint", "Complaint"),
    }
);

choice!(
    /// Most urgent first.
    Priority {
        Urgent => ("urgent", "Urgent"),
        High => ("high", "High"),
        Normal => ("normal", "Normal"),
        Low => ("low", "Low"),
    }
);

choice!(
    /// In board order.
    Status {
        Open => ("open", "Open"),
        InProgress => ("in_progress", "In progress"),
        Blocked => ("blocked", "Blocked"),
        Resolved => ("resolved", "Resolved"),
        Closed => ("closed", "Closed"),
    }
);

choice!(
    /// How an issue list is ordered.
    IssueOrder {
        Newest => ("newest", "Newest first"),
        Oldest => ("oldest", "Oldest first"),
        Priority => ("priority", "Most urgent first"),
        Due => ("due", "Due soonest first"),
    }
);

// After the macro, so the modules can use it too.
pub mod ai;
pub mod board;
pub mod businesses;
pub mod csv_io;
pub mod dashboard;
pub mod digest;
pub mod enrichment;
#[cfg(feature = "ssr")]
pub(crate) mod fields;
#[cfg(feature = "ssr")]
pub mod figures;
pub mod inbox;
pub mod issues;
pub mod notifications;
pub mod search;

impl Status {
    /// Resolved and closed issues are done: they count towards time to resolve, not overdue.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_through_their_stored_names() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Priority::parse("URGENT"), None);
        assert!(Status::Resolved.is_done() && !Status::Blocked.is_done());
    }
}
