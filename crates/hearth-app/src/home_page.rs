//! A worker's home page: their caseload, where each case stands, and what is due, read as one
//! view with one access resolution and one audit commit (it was three units of work, resolving
//! the caseload's access twice).

use crate::casework::{standings_in, Standing};
use crate::due::{due_in, viewed};
use crate::{App, Result};
use hearth_domain::due::DueItem;
use hearth_domain::Actor;
use hearth_store::cases::{self, CaseSummary};
use std::collections::HashMap;
use uuid::Uuid;

pub struct HomePage {
    pub cases: Vec<CaseSummary>,
    pub standings: HashMap<Uuid, Standing>,
    pub due: Vec<DueItem>,
}

pub async fn view(app: &App, actor: &Actor) -> Result<HomePage> {
    let mut w = app.view().await?;
    let cases::Listed { cases, guard } = cases::caseload(&mut w, actor, 500).await?;
    let standings = standings_in(&mut w, app, &guard).await?;
    let due = due_in(&mut w, app, &guard, &cases, &standings).await?;
    w.audit(viewed(actor, cases.len()));
    w.commit().await?;
    Ok(HomePage {
        cases,
        standings,
        due,
    })
}
