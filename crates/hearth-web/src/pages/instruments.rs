//! Instruments (questionnaires) for the people who manage them: every version, and loading a
//! new one from a pasted definition.

use crate::error::PageResult;
use crate::form::{Again, OrAgain, Saved};
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Form;
use hearth_app::instruments::StoredInstrument;
use hearth_app::instruments::{self, Listed};
use hearth_app::users::By;
use hearth_domain::validation::Invalid;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "instruments.html")]
struct InstrumentsPage {
    layout: Layout,
    list: Vec<Listed>,
    errors: Invalid,
    file: String,
    definition: String,
    loaded: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoadForm {
    #[serde(default)]
    file: String,
    #[serde(default)]
    definition: String,
}

async fn page(
    state: &AppState,
    who: &hearth_app::auth::SignedIn,
    form: LoadForm,
    loaded: Option<String>,
    again: Again,
) -> PageResult {
    let list = instruments::list(&state.app, By::User(&who.actor())).await?;
    Ok(render(
        again.status(),
        &InstrumentsPage {
            layout: Layout::signed("Instruments", who).with_errors(&again.errors),
            list,
            errors: again.errors,
            file: form.file,
            definition: form.definition,
            loaded,
        },
    ))
}

pub async fn list(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    page(&state, &who, LoadForm::default(), None, Again::fresh()).await
}

/// A refused definition comes back with the error and everything that was pasted, so the
/// administrator can fix the line named and try again.
pub async fn load(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<LoadForm>,
) -> PageResult {
    let by = By::User(&who.actor());
    match instruments::load(&state.app, by, &form.file, &form.definition)
        .await
        .or_again()?
    {
        Saved::Done(def) => {
            let note = format!(
                "Loaded {} version {}. New assessments use it from now on; earlier answers keep the version they were given on.",
                def.title, def.version
            );
            page(
                &state,
                &who,
                LoadForm::default(),
                Some(note),
                Again::fresh(),
            )
            .await
        }
        Saved::Again(again) => page(&state, &who, form, None, again).await,
    }
}

#[derive(Template)]
#[template(path = "instrument.html")]
struct InstrumentPage {
    layout: Layout,
    stored: StoredInstrument,
}

pub async fn show(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((key, version)): Path<(String, i64)>,
) -> PageResult {
    let actor = who.actor();
    let stored = instruments::definition(&state.app, By::User(&actor), &key, version).await?;
    Ok(render(
        StatusCode::OK,
        &InstrumentPage {
            layout: Layout::signed(
                &format!("{} version {}", stored.title, stored.version),
                &who,
            ),
            stored,
        },
    ))
}
