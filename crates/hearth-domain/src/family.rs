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
    fn every_relationship_has_wording() {
        for (code, _) in RELATIONSHIPS {
            assert_ne!(relationship_label(code), "related to");
        }
    }
}
