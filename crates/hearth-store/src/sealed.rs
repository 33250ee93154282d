//! Encrypted fields of case records, as readers hand them out: the ciphertext, where it lives,
//! who it is about and how sensitive it is. The plain text is reachable only through a guard
//! (`Guard::open` in [`crate::access`]), which asks the firewall first; a field the actor may
//! not see is never decrypted.

use crate::{FieldCipher, Result};
use hearth_domain::access::{Action, FieldClass};
use uuid::Uuid;

/// Who a sealed field is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Person(Uuid),
    /// The family in one case as a whole: visible only to someone who may see it about
    /// everyone in that case.
    Family(Uuid),
    /// A record of a service function rather than of a case (a referral waiting for triage, the
    /// reason given for emergency access): it opens only for those who hold that function.
    Service(Action),
}

impl Subject {
    /// About this person, or (with `None`) about the family in this case.
    pub fn about(case_id: Uuid, person_id: Option<Uuid>) -> Subject {
        person_id.map_or(Subject::Family(case_id), Subject::Person)
    }
}

/// What showing a sealed field is a view of. A guard opened to look records the view itself
/// when it opens the field, so no reader can leave it out of the trail; each store reader says
/// what its fields show when it reads them, never left to be inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shows {
    ContactDetails,
    SafetyPlan,
    Risk,
    Timeline,
    /// One timeline entry, on its own page.
    Entry(Uuid),
    /// A referral to the service, on its own page.
    Referral(Uuid),
    /// The referrals waiting for triage, as a list.
    ReferralQueue,
    /// What was sent to MARAC about a person, in one MARAC referral.
    MaracReferral(Uuid),
    /// One enrolment on a programme, on its page (its waiting-list reason, its sessions).
    Enrolment(Uuid),
    Equality,
    /// Part of a record whose page the use case audits as a whole (a MARAC referral, an
    /// agency, a referral's details, an earlier version of a person).
    Page,
}

#[derive(Debug, Clone)]
pub struct Sealed {
    place: String,
    bytes: Vec<u8>,
    subject: Subject,
    class: FieldClass,
    shows: Shows,
    /// A service function whose holders open it as well as those the firewall lets see it
    /// (the MARAC coordinator reads every MARAC record).
    also_for: Option<Action>,
}

/// A sealed field after the firewall has been asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    Shown(String),
    Withheld,
}

impl Opened {
    pub fn shown(self) -> Option<String> {
        match self {
            Opened::Shown(s) => Some(s),
            Opened::Withheld => None,
        }
    }
}

impl Sealed {
    pub(crate) fn new(
        place: String,
        bytes: Vec<u8>,
        subject: Subject,
        class: FieldClass,
        shows: Shows,
    ) -> Self {
        Sealed {
            place,
            bytes,
            subject,
            class,
            shows,
            also_for: None,
        }
    }

    /// Let the holders of this service function open it too.
    pub(crate) fn also_for(mut self, function: Action) -> Self {
        self.also_for = Some(function);
        self
    }

    /// Does holding this service function open it?
    pub(crate) fn opens_for_function(&self, function: Action) -> bool {
        self.subject == Subject::Service(function) || self.also_for == Some(function)
    }

    pub fn subject(&self) -> Subject {
        self.subject
    }

    pub(crate) fn shows(&self) -> Shows {
        self.shows
    }

    pub fn class(&self) -> FieldClass {
        self.class
    }

    pub(crate) fn open_if(&self, visible: bool, cipher: &FieldCipher) -> Result<Opened> {
        if !visible {
            return Ok(Opened::Withheld);
        }
        Ok(Opened::Shown(cipher.decrypt(&self.place, &self.bytes)?))
    }
}
