//! How the people in a family are related, and who lives with whom.

/// (code, "A is … of B" wording). `lives_with` builds the household.
pub const RELATIONSHIPS: &[(&str, &str)] = &[
    ("partner", "partner of"),
    ("ex_partner", "ex-partner of"),
    ("parent", "parent of"),
    ("step_parent", "step-parent of"),
    ("grandparent", "grandparent of"),
    ("sibling", "sibling of"),
    ("carer", "carer of"),
    ("lives_with", "lives with"),
    ("other", "otherwise related to"),
];

pub fn relationship_label(code: &str) -> &'static str {
    RELATIONSHIPS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("related to")
}

/// Group people into households from `lives_with` links (each person in exactly one group).
pub fn households<T: Copy + PartialEq>(people: &[T], lives_with: &[(T, T)]) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = people.iter().map(|p| vec![*p]).collect();
    for (a, b) in lives_with {
        let ia = groups.iter().position(|g| g.contains(a));
        let ib = groups.iter().position(|g| g.contains(b));
        if let (Some(ia), Some(ib)) = (ia, ib) {
            if ia != ib {
                let moved = groups.remove(ib.max(ia));
                groups[ib.min(ia)].extend(moved);
            }
        }
    }
    groups
}

/// An agency or professional involved with the family.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub struct Agency {
    /// A code from `referral::AGENCIES`.
    pub agency: String,
    /// The service or place: "Northshire Primary School", "Eastmoor surgery".
    pub name: String,
    /// The professional: "Ms Patel, class teacher".
    pub contact: String,
    pub phone: String,
    /// Whether the person agreed to information being shared with them: yes, no or not_asked.
    pub consent_to_share: String,
}

pub const CONSENT: &[(&str, &str)] = &[
    ("not_asked", "Not asked yet"),
    ("yes", "Yes, agreed"),
    ("no", "No, not agreed"),
];

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AgencyForm {
    pub agency: String,
    pub name: String,
    pub contact: String,
    pub phone: String,
    pub consent_to_share: String,
    /// The person in the case it concerns; empty for the whole family.
    pub person_id: String,
}

impl AgencyForm {
    pub fn parse(&self) -> Result<Agency, crate::Invalid> {
        let mut invalid = crate::Invalid::default();
        if !crate::referral::AGENCIES
            .iter()
            .any(|(c, _)| *c == self.agency.trim())
        {
            invalid.push("agency", "Choose the kind of agency");
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            invalid.push(
                "name",
                "Enter the service or place, like the school's or surgery's name",
            );
        }
        for (field, value) in [("name", &self.name), ("contact", &self.contact)] {
            if value.trim().chars().count() > 200 {
                invalid.push(field, "Must be 200 characters or fewer");
            }
        }
        let phone = invalid
            .check(crate::contact::parse_phone("phone", &self.phone))
            .unwrap_or_default();
        let consent = if self.consent_to_share.trim().is_empty() {
            "not_asked"
        } else {
            self.consent_to_share.trim()
        };
        if !CONSENT.iter().any(|(c, _)| *c == consent) {
            invalid.push("consent_to_share", "Choose whether they agreed to sharing");
        }
        invalid.into_result()?;
        Ok(Agency {
            agency: self.agency.trim().into(),
            name,
            contact: self.contact.trim().into(),
            phone,
            consent_to_share: consent.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_join_through_lives_with() {
        let people = [1, 2, 3, 4];
        let groups = households(&people, &[(1, 3), (3, 4)]);
        assert_eq!(groups, vec![vec![1, 3, 4], vec![2]]);
        assert_eq!(households(&people, &[]).len(), 4);
    }

    #[test]
    fn agencies_need_a_kind_and_a_name_and_a_known_consent() {
        let ok = AgencyForm {
            agency: "school".into(),
            name: "Northshire Primary".into(),
            ..Default::default()
        };
        assert_eq!(ok.parse().unwrap().consent_to_share, "not_asked");
        let bad = AgencyForm {
            agency: "circus".into(),
            consent_to_share: "maybe".into(),
            phone: "12".into(),
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        for f in ["agency", "name", "consent_to_share", "phone"] {
            assert!(e.message_for(f).is_some(), "{f}");
        }
    }

    #[test]
    fn every_relationship_has_wording() {
        for (code, _) in RELATIONSHIPS {
            assert_ne!(relationship_label(code), "related to");
        }
    }
}
