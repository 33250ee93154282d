//! Managing staff accounts: from the web (by an administrator) or the command line (by the
//! operator, who already holds the database and its key).

use crate::secrets;
use crate::{App, AppError, Result};
use hearth_domain::access::{can, Action, Resource};
use hearth_domain::ids::{OrgId, UserId};
use hearth_domain::validation::{DisplayName, EmailAddress, Invalid, NewPassword};
use hearth_domain::{Actor, Role};
use hearth_store::audit::AuditEvent;
use hearth_store::users::{self, NewUser, User};
use hearth_store::{orgs, sessions};
use uuid::Uuid;

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A signed-in user, subject to the access policy.
    User(&'a Actor),
    /// The operator at the command line, acting on one organisation.
    Command { org_id: OrgId },
}

impl By<'_> {
    pub fn org_id(&self) -> OrgId {
        match self {
            By::User(a) => a.org_id,
            By::Command { org_id } => *org_id,
        }
    }

    pub fn actor_id(&self) -> Option<UserId> {
        match self {
            By::User(a) => Some(a.user_id),
            By::Command { .. } => None,
        }
    }

    /// Check the policy for a service-wide action.
    pub fn check(&self, action: Action) -> Result<()> {
        match self {
            By::Command { .. } => Ok(()),
            By::User(a) => crate::check(can(a, action, &Resource::Service { org_id: a.org_id })),
        }
    }

    pub fn event(
        &self,
        action: &'static str,
        entity_type: &'static str,
        entity: Uuid,
    ) -> AuditEvent {
        let ev = AuditEvent::new(action, entity_type)
            .org(self.org_id())
            .entity(entity);
        match self.actor_id() {
            Some(a) => ev.actor(a),
            None => ev.detail("via", "command_line"),
        }
    }
}

/// What an administrator fills in to add someone. Every field may be missing, so that a
/// request is checked against the policy before anything in it is read.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    pub email: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub team_id: String,
    /// Leave empty to generate a temporary password.
    #[serde(default)]
    pub password: String,
}

/// A staff account as pages, the API and handlers see it: never its password hash or its
/// second-factor secret, which stay in the use cases that check them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: UserId,
    pub org_id: OrgId,
    pub team_id: Option<hearth_domain::ids::TeamId>,
    pub email: String,
    pub display_name: String,
    pub role: hearth_domain::Role,
    pub must_change_password: bool,
    pub totp_enrolled_at: Option<hearth_domain::Timestamp>,
    pub disabled_at: Option<hearth_domain::Timestamp>,
    pub created_at: hearth_domain::Timestamp,
}

impl From<User> for Account {
    fn from(u: User) -> Self {
        Account {
            id: u.id,
            org_id: u.org_id,
            team_id: u.team_id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            must_change_password: u.must_change_password,
            totp_enrolled_at: u.totp_enrolled_at,
            disabled_at: u.disabled_at,
            created_at: u.created_at,
        }
    }
}

impl Account {
    pub fn actor(&self) -> hearth_domain::Actor {
        hearth_domain::Actor::staff(self.id, self.org_id, self.team_id, self.role)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// A user was added. The temporary password is shown once and must be changed at first sign-in.
#[derive(Debug, Clone)]
pub struct Added {
    pub user: Account,
    pub temporary_password: Option<String>,
}

pub async fn add(app: &App, by: By<'_>, form: &NewUserForm) -> Result<Added> {
    by.check(Action::ManageUsers)?;
    let org_id = by.org_id();
    let mut invalid = Invalid::default();
    // In the order the form asks, so the error summary reads down the page.
    let name = invalid.check(DisplayName::parse("display_name", &form.display_name));
    let email = invalid.check(EmailAddress::parse("email", &form.email));
    let role = Role::parse(&form.role);
    if role.is_none() {
        invalid.push("role", "Choose a role from the list");
    }
    let team_id = if form.team_id.trim().is_empty() {
        None
    } else {
        let t = hearth_domain::ids::TeamId::parse(&form.team_id);
        let mut conn = app.store.conn().await?;
        match t {
            Some(t) if orgs::team(&mut conn, org_id, t).await?.is_some() => Some(t),
            _ => {
                invalid.push("team_id", "Choose a team from the list");
                None
            }
        }
    };
    if role == Some(Role::TeamManager) && team_id.is_none() && !form.team_id.trim().is_empty() {
        // already reported above
    } else if role == Some(Role::TeamManager) && team_id.is_none() {
        invalid.push("team_id", "A team manager needs a team");
    }
    let (password, temporary) = if form.password.is_empty() {
        let p = secrets::temporary_password();
        (Some(p.clone()), Some(p))
    } else {
        (
            invalid
                .check(NewPassword::parse("password", &form.password))
                .map(|p| p.expose().to_string()),
            None,
        )
    };
    invalid.into_result()?;
    let (email, name, role, password) = (
        email.expect("valid"),
        name.expect("valid"),
        role.expect("valid"),
        password.expect("valid"),
    );

    let hash = secrets::hash_password(&password);
    let now = app.now();
    let id = UserId::new(now);
    let mut w = app.store.work(now).await?;
    let inserted = users::insert(
        &mut w,
        now,
        NewUser {
            id,
            org_id,
            team_id,
            email: email.as_str(),
            display_name: name.as_str(),
            role,
            password_hash: &hash,
            must_change_password: temporary.is_some(),
        },
    )
    .await;
    match inserted {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::invalid(
                "email",
                "An account with this email address already exists",
            ))
        }
        other => other?,
    }
    w.audit(
        by.event("user.add", "user", id.uuid())
            .detail("role", role.code()),
    );
    let user = users::get(&mut w, org_id, id)
        .await?
        .ok_or_else(|| AppError::Internal("user vanished".into()))?;
    w.commit().await?;
    Ok(Added {
        user: user.into(),
        temporary_password: temporary,
    })
}

pub async fn list(app: &App, by: By<'_>) -> Result<Vec<Account>> {
    by.check(Action::ViewUsers)?;
    let mut conn = app.store.conn().await?;
    Ok(users::list(&mut conn, by.org_id())
        .await?
        .into_iter()
        .map(Account::from)
        .collect())
}

pub async fn get(app: &App, by: By<'_>, id: UserId) -> Result<Account> {
    by.check(Action::ViewUsers)?;
    let mut conn = app.store.conn().await?;
    users::get(&mut conn, by.org_id(), id)
        .await?
        .map(Account::from)
        .ok_or(AppError::NotFound)
}

/// Find a user of the organisation by email, for the command line.
pub async fn by_email(app: &App, org_id: OrgId, email: &str) -> Result<User> {
    let email =
        EmailAddress::parse("email", email).map_err(|e| AppError::Invalid(Invalid(vec![e])))?;
    let mut conn = app.store.conn().await?;
    match users::by_email(&mut conn, email.as_str()).await? {
        Some(u) if u.org_id == org_id => Ok(u),
        _ => Err(AppError::NotFound),
    }
}

/// Disable an account: it cannot sign in, its sessions end and its API tokens stop working.
pub async fn disable(app: &App, by: By<'_>, id: UserId) -> Result<Account> {
    by.check(Action::ManageUsers)?;
    if let By::User(a) = by {
        if a.user_id == id {
            return Err(AppError::Conflict {
                field: None,
                message: "You cannot disable your own account".into(),
            });
        }
    }
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let user = users::get(&mut w, by.org_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    users::set_disabled(&mut w, now, id, true).await?;
    let ended = sessions::end_all_for_user(&mut w, now, id, "user_disabled").await?;
    w.audit(
        by.event("user.disable", "user", id.uuid())
            .detail("sessions_ended", ended),
    );
    w.commit().await?;
    Ok(Account {
        disabled_at: Some(now),
        ..user.into()
    })
}

pub async fn enable(app: &App, by: By<'_>, id: UserId) -> Result<Account> {
    by.check(Action::ManageUsers)?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let user = users::get(&mut w, by.org_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    users::set_disabled(&mut w, now, id, false).await?;
    w.audit(by.event("user.enable", "user", id.uuid()));
    w.commit().await?;
    Ok(Account {
        disabled_at: None,
        ..user.into()
    })
}

/// Give an account a new temporary password; every session of theirs ends.
pub async fn reset_password(app: &App, by: By<'_>, id: UserId) -> Result<String> {
    by.check(Action::ManageUsers)?;
    let temp = secrets::temporary_password();
    let hash = secrets::hash_password(&temp);
    let now = app.now();
    let mut w = app.store.work(now).await?;
    users::get(&mut w, by.org_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    users::set_password(&mut w, now, id, &hash, true).await?;
    let ended = sessions::end_all_for_user(&mut w, now, id, "password_reset").await?;
    w.audit(
        by.event("user.reset_password", "user", id.uuid())
            .detail("sessions_ended", ended),
    );
    w.commit().await?;
    Ok(temp)
}

/// Remove an account's authenticator (a lost phone); they set up a new one at next sign-in.
pub async fn reset_second_factor(app: &App, by: By<'_>, id: UserId) -> Result<()> {
    by.check(Action::ManageUsers)?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    let user = users::get(&mut w, by.org_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    users::set_totp(&mut w, now, id, None).await?;
    users::replace_recovery_codes(&mut w, user.org_id, id, &[]).await?;
    let ended = sessions::end_all_for_user(&mut w, now, id, "second_factor_reset").await?;
    w.audit(
        by.event("user.reset_second_factor", "user", id.uuid())
            .detail("sessions_ended", ended),
    );
    w.commit().await?;
    Ok(())
}
