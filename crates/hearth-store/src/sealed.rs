//! Encrypted fields of case records, as readers hand them out: the ciphertext, where it lives,
//! who it is about and how sensitive it is. The plain text is reachable only through a guard
//! (`Guard::open` in [`crate::access`]), which asks the firewall first; a field the actor may
//! not see is never decrypted.

use crate::{FieldCipher, Result};
use hearth_domain::access::FieldClass;
use uuid::Uuid;

/// Who a sealed field is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Person(Uuid),
    /// The family as a whole: visible only to someone who may see it about everyone in it.
    Family,
}

impl Subject {
    pub fn about(person_id: Option<Uuid>) -> Subject {
        person_id.map_or(Subject::Family, Subject::Person)
    }
}

#[derive(Debug, Clone)]
pub struct Sealed {
    place: String,
    bytes: Vec<u8>,
    subject: Subject,
    class: FieldClass,
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
    pub(crate) fn new(place: String, bytes: Vec<u8>, subject: Subject, class: FieldClass) -> Self {
        Sealed {
            place,
            bytes,
            subject,
            class,
        }
    }

    pub fn subject(&self) -> Subject {
        self.subject
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
