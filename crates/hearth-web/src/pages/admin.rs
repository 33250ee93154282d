//! Staff accounts and API tokens, for administrators.

use crate::error::{PageError, PageResult};
use crate::form::{to, Again, OrAgain, Saved};
use crate::path::PathId;
use crate::session::Signed;
use crate::views::{render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Form;
use hearth_app::auth::SignedIn;
use hearth_app::orgs::{self, Team};
use hearth_app::tokens::ApiToken;
use hearth_app::users::Account;
use hearth_app::users::{self, By, NewUserForm};
use hearth_app::{tokens, AppError};
use hearth_domain::ids::OrgId;
use hearth_domain::ids::UserId;
use hearth_domain::validation::Invalid;
use hearth_domain::Role;
use serde::Deserialize;

async fn teams(state: &AppState, org_id: OrgId) -> Result<Vec<Team>, PageError> {
    Ok(orgs::teams(&state.app, org_id).await?)
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<Account>,
    teams: Vec<Team>,
}

impl UsersPage {
    fn team_name(&self, id: &Option<hearth_domain::ids::TeamId>) -> String {
        id.and_then(|id| self.teams.iter().find(|t| t.id == id))
            .map(|t| t.name.clone())
            .unwrap_or_else(|| "–".into())
    }
}

pub async fn users(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    let actor = who.actor();
    let list = users::list(&state.app, By::User(&actor)).await?;
    let teams = teams(&state, who.org.id).await?;
    Ok(render(
        StatusCode::OK,
        &UsersPage {
            layout: Layout::signed("Staff accounts", &who),
            users: list,
            teams,
        },
    ))
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct NewUserPage {
    layout: Layout,
    errors: Invalid,
    form: NewUserForm,
    roles: Vec<Role>,
    teams: Vec<Team>,
}

async fn new_user_view(
    state: &AppState,
    who: &SignedIn,
    form: NewUserForm,
    again: Again,
) -> PageResult {
    let teams = teams(state, who.org.id).await?;
    Ok(render(
        again.status(),
        &NewUserPage {
            layout: Layout::signed("Add a member of staff", who).with_errors(&again.errors),
            errors: again.errors,
            form,
            roles: Role::ALL.to_vec(),
            teams,
        },
    ))
}

pub async fn new_user(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    By::User(&who.actor()).check(hearth_domain::Action::ManageUsers)?;
    new_user_view(&state, &who, NewUserForm::default(), Again::fresh()).await
}

pub async fn add_user(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<NewUserForm>,
) -> PageResult {
    // Administrators set no password here: a temporary one is always generated.
    let form = NewUserForm {
        password: String::new(),
        ..form
    };
    match users::add(&state.app, By::User(&who.actor()), &form)
        .await
        .or_again()?
    {
        Saved::Done(added) => {
            user_view(&state, &who, added.user, added.temporary_password, None).await
        }
        Saved::Again(again) => new_user_view(&state, &who, form, again).await,
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    layout: Layout,
    user: Account,
    team_name: String,
    temporary_password: Option<String>,
    message: Option<String>,
    is_self: bool,
}

async fn user_view(
    state: &AppState,
    who: &SignedIn,
    user: Account,
    temp: Option<String>,
    message: Option<String>,
) -> PageResult {
    let teams = teams(state, who.org.id).await?;
    let team_name = user
        .team_id
        .and_then(|id| teams.iter().find(|t| t.id == id))
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "No team".into());
    Ok(render(
        StatusCode::OK,
        &UserPage {
            layout: Layout::signed(&user.display_name, who),
            is_self: user.id == who.user.id,
            user,
            team_name,
            temporary_password: temp,
            message,
        },
    ))
}

pub async fn user(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<UserId>,
) -> PageResult {
    let actor = who.actor();
    let u = users::get(&state.app, By::User(&actor), id).await?;
    user_view(&state, &who, u, None, None).await
}

/// The account's page after a change, saying what was done.
async fn after(
    state: &AppState,
    who: &SignedIn,
    id: UserId,
    temp: Option<String>,
    message: &str,
) -> PageResult {
    let u = users::get(&state.app, By::User(&who.actor()), id).await?;
    user_view(state, who, u, temp, Some(message.into())).await
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    name: String,
    question: String,
    consequence: &'static str,
    button: &'static str,
    action: String,
    back: String,
}

/// A change that locks someone out is made only once it is confirmed: the first press asks.
#[derive(Deserialize, Default)]
pub struct Confirmation {
    #[serde(default)]
    confirm: String,
}

impl Confirmation {
    fn given(&self) -> bool {
        self.confirm == "yes"
    }
}

/// Ask before doing `what` to the account.
async fn confirm(
    state: &AppState,
    who: &SignedIn,
    id: UserId,
    what: (&str, &'static str, &'static str),
    action: &str,
) -> PageResult {
    let actor = who.actor();
    // Asking is refused to anyone who could not do it, as the change itself would be.
    By::User(&actor).check(hearth_domain::Action::ManageUsers)?;
    let u = users::get(&state.app, By::User(&actor), id).await?;
    let (question, consequence, button) = what;
    Ok(render(
        StatusCode::OK,
        &ConfirmPage {
            layout: Layout::signed(question, who),
            question: format!("{question} for {}?", u.display_name),
            name: u.display_name,
            consequence,
            button,
            action: format!("/admin/users/{id}/{action}"),
            back: format!("/admin/users/{id}"),
        },
    ))
}

pub async fn disable(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<UserId>,
    Form(c): Form<Confirmation>,
) -> PageResult {
    if !c.given() {
        let what = (
            "Disable the account",
            "They will be signed out everywhere at once and cannot sign in until an administrator enables the account again. Their cases stay allocated to them.",
            "Yes, disable the account",
        );
        return confirm(&state, &who, id, what, "disable").await;
    }
    users::disable(&state.app, By::User(&who.actor()), id).await?;
    let said = "The account is disabled and all its sessions have ended.";
    after(&state, &who, id, None, said).await
}

pub async fn enable(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<UserId>,
) -> PageResult {
    users::enable(&state.app, By::User(&who.actor()), id).await?;
    after(&state, &who, id, None, "The account is enabled.").await
}

pub async fn reset_password(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<UserId>,
    Form(c): Form<Confirmation>,
) -> PageResult {
    if !c.given() {
        let what = (
            "Reset the password",
            "Their password stops working now and they are signed out everywhere. You will be shown a temporary password to give them in person or by phone, never by email.",
            "Yes, reset the password",
        );
        return confirm(&state, &who, id, what, "reset-password").await;
    }
    let temp = users::reset_password(&state.app, By::User(&who.actor()), id).await?;
    let said = "The password is reset and all their sessions have ended.";
    after(&state, &who, id, Some(temp), said).await
}

pub async fn reset_second_factor(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId<UserId>,
) -> PageResult {
    users::reset_second_factor(&state.app, By::User(&who.actor()), id).await?;
    let said =
        "Their authenticator app is removed. They will set up a new one when they next sign in.";
    after(&state, &who, id, None, said).await
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    errors: Invalid,
    tokens: Vec<ApiToken>,
    users: Vec<Account>,
    new_secret: Option<String>,
    token_name: String,
    user_id: String,
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    user_id: String,
}

async fn tokens_view(
    state: &AppState,
    who: &SignedIn,
    form: TokenForm,
    secret: Option<String>,
    again: Again,
) -> PageResult {
    let actor = who.actor();
    let by = By::User(&actor);
    let tokens = tokens::list(&state.app, by).await?;
    let users = users::list(&state.app, by).await?;
    Ok(render(
        again.status(),
        &TokensPage {
            layout: Layout::signed("API tokens", who).with_errors(&again.errors),
            errors: again.errors,
            tokens,
            users,
            new_secret: secret,
            token_name: form.name,
            user_id: form.user_id,
        },
    ))
}

pub async fn tokens(State(state): State<AppState>, Signed(who): Signed) -> PageResult {
    tokens_view(&state, &who, TokenForm::default(), None, Again::fresh()).await
}

pub async fn create_token(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let actor = who.actor();
    let created = match UserId::parse(&form.user_id) {
        Some(user) => tokens::create(&state.app, By::User(&actor), user, &form.name).await,
        None => Err(AppError::NotFound),
    };
    // An account that is not there (or not in this service) is a choice to make again.
    let created = created.map_err(|e| match e {
        AppError::NotFound => AppError::invalid("user_id", "Choose the account the token acts as"),
        e => e,
    });
    match created.or_again()? {
        Saved::Done(c) => {
            tokens_view(
                &state,
                &who,
                TokenForm::default(),
                Some(c.secret),
                Again::fresh(),
            )
            .await
        }
        Saved::Again(again) => tokens_view(&state, &who, form, None, again).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Signed(who): Signed,
    PathId(id): PathId,
) -> PageResult {
    tokens::revoke(&state.app, By::User(&who.actor()), id).await?;
    Ok(to("/admin/tokens"))
}
