//! Staff roles, named as in the design. A role belongs to a user account; a person's
//! role in a family (victim/survivor, person causing harm, child) belongs to a case.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    ServiceManager,
    TeamManager,
    CaseWorker,
    ChildrensWorker,
    EngagePractitioner,
    GroupFacilitator,
    PeerMentorCoordinator,
    TrainingCoordinator,
    Evaluator,
    ExternalReferrer,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Administrator,
        Role::ServiceManager,
        Role::TeamManager,
        Role::CaseWorker,
        Role::ChildrensWorker,
        Role::EngagePractitioner,
        Role::GroupFacilitator,
        Role::PeerMentorCoordinator,
        Role::TrainingCoordinator,
        Role::Evaluator,
        Role::ExternalReferrer,
    ];

    /// The stable code stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::ServiceManager => "service_manager",
            Role::TeamManager => "team_manager",
            Role::CaseWorker => "case_worker",
            Role::ChildrensWorker => "childrens_worker",
            Role::EngagePractitioner => "engage_practitioner",
            Role::GroupFacilitator => "group_facilitator",
            Role::PeerMentorCoordinator => "peer_mentor_coordinator",
            Role::TrainingCoordinator => "training_coordinator",
            Role::Evaluator => "evaluator",
            Role::ExternalReferrer => "external_referrer",
        }
    }

    /// The name staff use.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::ServiceManager => "Service manager",
            Role::TeamManager => "Team manager",
            Role::CaseWorker => "Idva / case worker",
            Role::ChildrensWorker => "Children's worker",
            Role::EngagePractitioner => "Engage practitioner",
            Role::GroupFacilitator => "Group facilitator",
            Role::PeerMentorCoordinator => "Peer-mentor coordinator",
            Role::TrainingCoordinator => "Training coordinator",
            Role::Evaluator => "Evaluator",
            Role::ExternalReferrer => "External referrer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s) || r.label().eq_ignore_ascii_case(s))
    }

    /// Roles that carry a caseload and can be allocated to families.
    pub fn holds_caseload(self) -> bool {
        matches!(
            self,
            Role::CaseWorker
                | Role::ChildrensWorker
                | Role::EngagePractitioner
                | Role::GroupFacilitator
                | Role::PeerMentorCoordinator
                | Role::TeamManager
        )
    }

    /// Staff who must use a second factor. External referrers and evaluators are accounts too,
    /// and hold no less sensitive access, so every role does.
    pub fn requires_second_factor(self) -> bool {
        true
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(Role::parse(r.label()), Some(r));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
