//! API tokens for partner systems. A token acts as the user it belongs to, with that user's role.

use crate::secrets;
use crate::users::By;
use crate::{App, AppError, Result};
use hearth_domain::access::Action;
use hearth_domain::ids::new_id;
use hearth_domain::ids::UserId;
use hearth_domain::validation::Line;
use hearth_store::tokens;
pub use hearth_store::tokens::ApiToken;
use hearth_store::users;
use uuid::Uuid;

/// A new token. The secret is shown once; only its hash is kept.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: Uuid,
    pub secret: String,
}

pub async fn create(app: &App, by: By<'_>, user_id: UserId, name: &str) -> Result<Created> {
    by.check(Action::ManageApiTokens)?;
    let name = Line::<100>::parse_required("name", name, "Enter a name for the token")?;
    let name = name.as_str();
    let now = app.now();
    let secret = secrets::new_token();
    let id = new_id(now);
    let mut w = app.store.work(now).await?;
    let user = users::get(&mut w, by.org_id(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.is_disabled() {
        return Err(AppError::Conflict {
            field: Some("user_id"),
            message: "That account is disabled".into(),
        });
    }
    let created_by = match by {
        By::User(a) => Some(a.user_id),
        By::Command { .. } => None,
    };
    tokens::insert(
        &mut w,
        now,
        tokens::NewToken {
            id,
            org_id: by.org_id(),
            user_id,
            name,
            token_hash: &secrets::token_hash(&secret),
            created_by,
        },
    )
    .await?;
    w.audit(
        by.event("api_token.create", "api_token", id)
            .detail("user", user_id),
    );
    w.commit().await?;
    Ok(Created { id, secret })
}

pub async fn revoke(app: &App, by: By<'_>, id: Uuid) -> Result<()> {
    by.check(Action::ManageApiTokens)?;
    let now = app.now();
    let mut w = app.store.work(now).await?;
    if !tokens::revoke(&mut w, now, by.org_id(), id).await? {
        return Err(AppError::NotFound);
    }
    w.audit(by.event("api_token.revoke", "api_token", id));
    w.commit().await?;
    Ok(())
}

pub async fn list(app: &App, by: By<'_>) -> Result<Vec<ApiToken>> {
    by.check(Action::ManageApiTokens)?;
    let mut conn = app.store.conn().await?;
    Ok(tokens::list(&mut conn, by.org_id()).await?)
}
