//! Signing in and out: password, then an authenticator code (or enrolment of one), then an
//! active session. Sessions are 256-bit random tokens stored only as hashes, replaced at each
//! step of sign-in, and ended by idle and absolute timeouts, sign-out, disabling or reset.

use crate::secrets::{self, same};
use crate::{App, AppError, Result};
use hearth_domain::clock::Timestamp;
use hearth_domain::validation::{Invalid, NewPassword};
use hearth_domain::Actor;
use hearth_store::audit::AuditEvent;
use hearth_store::orgs::{self, Organisation};
pub use hearth_store::sessions::Stage;
use hearth_store::sessions::{self, Session};
use hearth_store::users::{self, User};
use hearth_store::{throttle, tokens, UnitOfWork};
use time::Duration;

/// How long someone has, after a correct password, to give their code or finish enrolment.
const PENDING_LIFETIME: Duration = Duration::minutes(10);
/// Activity is recorded at most this often, so reads do not all become writes.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Where sign-in goes next.
#[derive(Debug)]
pub enum SignIn {
    /// Fully signed in. Only demo accounts, which need no second factor, get here at once.
    Complete { token: String },
    /// A code from the authenticator app is needed.
    NeedsCode { token: String },
    /// The user must set up an authenticator app.
    NeedsEnrolment { token: String },
}

/// A fully signed-in user.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: crate::users::Account,
    pub org: Organisation,
    pub csrf_token: String,
    pub token_hash: String,
    /// Cases opened by break-glass whose access has not yet expired.
    pub break_glass: Vec<uuid::Uuid>,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        Actor {
            break_glass: self.break_glass.clone(),
            ..self.user.actor()
        }
    }
}

/// What a session token amounts to now.
#[derive(Debug)]
pub enum SessionState {
    Active(SignedIn),
    /// Password given; second step still to do.
    Pending {
        stage: Stage,
        user: User,
        org: Organisation,
        csrf_token: String,
    },
    /// Ended by a timeout just now; the user should be told why.
    TimedOut {
        idle: bool,
    },
    /// No such session, or it ended earlier.
    None,
}

const BAD_CREDENTIALS: &str = "The email address or password is not right";
const BAD_CODE: &str = "The code is not right. Check your authenticator app and try again";

fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

async fn end_and_audit(
    w: &mut UnitOfWork,
    s: &Session,
    now: Timestamp,
    reason: &'static str,
) -> Result<()> {
    sessions::end(w, now, &s.token_hash, reason).await?;
    w.audit(
        AuditEvent::new("session.end", "user")
            .org(s.org_id)
            .actor(s.user_id)
            .entity(s.user_id)
            .detail("reason", reason),
    );
    Ok(())
}

async fn check_throttle(app: &App, key: &str, address: &str, now: Timestamp) -> Result<()> {
    let mut conn = app.store.conn().await?;
    let (by_account, by_address) =
        throttle::recent_failures(&mut conn, now, app.auth.throttle_window, key, address).await?;
    if by_account >= app.auth.max_failures_per_account
        || by_address >= app.auth.max_failures_per_address
    {
        return Err(AppError::Throttled);
    }
    Ok(())
}

async fn record_failure(
    app: &App,
    key: &str,
    address: &str,
    user: Option<&User>,
    action: &'static str,
) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    throttle::record_failure(&mut w, now, key, address).await?;
    let mut ev = AuditEvent::new(action, "user");
    if let Some(u) = user {
        ev = ev.org(u.org_id).actor(u.id).entity(u.id);
    }
    w.audit(ev);
    w.commit().await?;
    Ok(())
}

async fn start_session(
    w: &mut UnitOfWork,
    now: Timestamp,
    user: &User,
    stage: Stage,
) -> Result<String> {
    let token = secrets::new_token();
    sessions::insert(
        w,
        now,
        &secrets::token_hash(&token),
        user.org_id,
        user.id,
        stage,
        &secrets::new_token(),
    )
    .await?;
    Ok(token)
}

/// Step one: email address and password. `previous` is any session token the browser
/// already had; it is ended, so a token planted before sign-in is worthless after it.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    address: &str,
    previous: Option<&str>,
) -> Result<SignIn> {
    let mut invalid = Invalid::default();
    if email.trim().is_empty() {
        invalid.push("email", "Enter your email address");
    }
    if password.is_empty() {
        invalid.push("password", "Enter your password");
    }
    invalid.into_result()?;

    let now = app.now();
    let key = account_key(email);
    check_throttle(app, &key, address, now).await?;

    let user = {
        let mut conn = app.store.conn().await?;
        users::by_email(&mut conn, &key).await?
    };
    // The password check runs outside any transaction: it is slow by design and must not hold locks.
    let password_ok = match &user {
        Some(u) => secrets::verify_password(password, &u.password_hash),
        None => {
            secrets::verify_against_nothing(password);
            false
        }
    };
    let user = match user {
        Some(u) if password_ok && !u.is_disabled() => u,
        other => {
            record_failure(app, &key, address, other.as_ref(), "auth.password_refused").await?;
            return Err(AppError::invalid("email", BAD_CREDENTIALS));
        }
    };

    let mut w = app.store.work(now).await?;
    let org = orgs::get(&mut w, user.org_id)
        .await?
        .ok_or_else(|| AppError::Internal("user without organisation".into()))?;
    if let Some(prev) = previous {
        if let Some(s) = sessions::get(&mut w, &secrets::token_hash(prev)).await? {
            if s.ended_at.is_none() {
                end_and_audit(&mut w, &s, now, "replaced_at_sign_in").await?;
            }
        }
    }
    throttle::clear_account(&mut w, &key).await?;
    let (stage, outcome): (Stage, fn(String) -> SignIn) = if user.totp_secret.is_some() {
        (Stage::SecondFactor, |token| SignIn::NeedsCode { token })
    } else if org.is_demo {
        (Stage::Active, |token| SignIn::Complete { token })
    } else {
        (Stage::Enrol, |token| SignIn::NeedsEnrolment { token })
    };
    let token = start_session(&mut w, now, &user, stage).await?;
    let action = if stage == Stage::Active {
        "session.start"
    } else {
        "auth.password_accepted"
    };
    w.audit(
        AuditEvent::new(action, "user")
            .org(user.org_id)
            .actor(user.id)
            .entity(user.id)
            .detail("stage", stage.code()),
    );
    w.commit().await?;
    Ok(outcome(token))
}

/// The form token of a live session, for the CSRF check: `None` if the session is unknown or
/// has ended. Reads nothing else and changes nothing.
pub async fn session_form_token(app: &App, token: &str) -> Result<Option<String>> {
    let mut conn = app.store.conn().await?;
    Ok(sessions::get(&mut conn, &secrets::token_hash(token))
        .await?
        .filter(|s| s.ended_at.is_none())
        .map(|s| s.csrf_token))
}

/// What a token is worth now. Ends sessions that have timed out.
pub async fn session(app: &App, token: &str) -> Result<SessionState> {
    let now = app.now();
    let hash = secrets::token_hash(token);
    let mut conn = app.store.conn().await?;
    let Some((s, user, org)) = sessions::signed_in(&mut conn, &hash).await? else {
        return Ok(SessionState::None);
    };
    if s.ended_at.is_some() {
        return Ok(SessionState::None);
    }

    let idle = now - s.last_seen_at > app.auth.idle_timeout;
    let absolute = now - s.created_at > app.auth.absolute_timeout;
    let pending_expired = s.stage != Stage::Active && now - s.created_at > PENDING_LIFETIME;
    if user.is_disabled() || idle || absolute || pending_expired {
        let reason = if user.is_disabled() {
            "user_disabled"
        } else if idle {
            "idle_timeout"
        } else {
            "absolute_timeout"
        };
        let mut w = app.store.work(now).await?;
        end_and_audit(&mut w, &s, now, reason).await?;
        w.commit().await?;
        return Ok(if user.is_disabled() {
            SessionState::None
        } else {
            SessionState::TimedOut { idle }
        });
    }
    let break_glass = if s.stage == Stage::Active {
        hearth_store::break_glass::active_cases(&mut conn, user.id, now).await?
    } else {
        Vec::new()
    };
    drop(conn);
    if now - s.last_seen_at > TOUCH_EVERY {
        let mut conn = app.store.write_conn().await?;
        sessions::touch(&mut conn, now, &hash).await?;
    }
    Ok(match s.stage {
        Stage::Active => SessionState::Active(SignedIn {
            user: user.into(),
            org,
            csrf_token: s.csrf_token,
            token_hash: hash,
            break_glass,
        }),
        stage => SessionState::Pending {
            stage,
            user,
            org,
            csrf_token: s.csrf_token,
        },
    })
}

async fn pending(app: &App, token: &str, want: Stage) -> Result<(Session, User)> {
    match session(app, token).await? {
        SessionState::Pending { stage, user, .. } if stage == want => {
            let mut conn = app.store.conn().await?;
            let s = sessions::get(&mut conn, &secrets::token_hash(token))
                .await?
                .ok_or(AppError::Unauthenticated)?;
            Ok((s, user))
        }
        _ => Err(AppError::Unauthenticated),
    }
}

/// Replace a pending session by an active one, with a new token.
async fn promote(
    w: &mut UnitOfWork,
    s: &Session,
    user: &User,
    now: Timestamp,
    method: &'static str,
) -> Result<String> {
    sessions::end(w, now, &s.token_hash, "signed_in").await?;
    let token = start_session(w, now, user, Stage::Active).await?;
    w.audit(
        AuditEvent::new("session.start", "user")
            .org(user.org_id)
            .actor(user.id)
            .entity(user.id)
            .detail("method", method),
    );
    Ok(token)
}

/// Step two: a code from the authenticator app, or a recovery code. Returns the new session token.
pub async fn second_factor(app: &App, token: &str, code: &str, address: &str) -> Result<String> {
    let (s, user) = pending(app, token, Stage::SecondFactor).await?;
    if code.trim().is_empty() {
        return Err(AppError::invalid(
            "code",
            "Enter the code from your authenticator app",
        ));
    }
    let now = app.now();
    check_throttle(app, &user.email, address, now).await?;
    let mut w = app.store.work(now).await?;
    let secret = users::totp_secret(&mut w, &app.store, &user)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let secret = hex::decode(secret)
        .map_err(|_| AppError::Internal("stored TOTP secret is not hex".into()))?;
    let t = secrets::totp(&secret, &user_issuer(app, &user).await?, &user.email);
    let method = if let Some(step) = secrets::totp_matching_step(&t, code, now) {
        users::accept_totp_step(&mut w, user.id, step)
            .await?
            .then_some("totp")
    } else {
        let code_hash = secrets::token_hash(&secrets::normalise_code(code));
        users::use_recovery_code(&mut w, now, user.id, &code_hash)
            .await?
            .then_some("recovery_code")
    };
    let Some(method) = method else {
        w.rollback().await?;
        record_failure(app, &user.email, address, Some(&user), "auth.code_refused").await?;
        return Err(AppError::invalid("code", BAD_CODE));
    };
    throttle::clear_account(&mut w, &user.email).await?;
    let token = promote(&mut w, &s, &user, now, method).await?;
    w.commit().await?;
    Ok(token)
}

async fn user_issuer(app: &App, user: &User) -> Result<String> {
    let mut conn = app.store.conn().await?;
    let org = orgs::get(&mut conn, user.org_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(format!("Hearth ({})", org.name))
}

/// What the enrolment page shows: the secret to type in, and the same as a QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

/// Start (or continue) setting up an authenticator app.
pub async fn enrolment(app: &App, token: &str) -> Result<Enrolment> {
    let (s, user) = pending(app, token, Stage::Enrol).await?;
    let mut w = app.work().await?;
    let cipher = w.cipher(user.org_id).await?;
    let place = sessions::pending_totp_place(&s.token_hash);
    let secret = match sessions::pending_totp_secret(&mut w, &app.store, &s).await? {
        Some(hex_secret) => hex::decode(hex_secret)
            .map_err(|_| AppError::Internal("pending TOTP secret is not hex".into()))?,
        None => {
            let secret = secrets::new_totp_secret();
            sessions::set_pending_totp(
                &mut w,
                &s.token_hash,
                Some(cipher.encrypt(&place, &hex::encode(&secret))?),
            )
            .await?;
            secret
        }
    };
    w.commit().await?;
    let t = secrets::totp(&secret, &user_issuer(app, &user).await?, &user.email);
    let url = t.get_url();
    Ok(Enrolment {
        secret_base32: t.get_secret_base32(),
        qr_svg: secrets::qr_svg(&url),
        otpauth_url: url,
    })
}

/// Finish enrolment with a code from the newly set-up app. Returns the new session token and
/// the recovery codes, which are shown once and stored only as hashes.
pub async fn finish_enrolment(
    app: &App,
    token: &str,
    code: &str,
    address: &str,
) -> Result<(String, Vec<String>)> {
    let (s, user) = pending(app, token, Stage::Enrol).await?;
    let now = app.now();
    check_throttle(app, &user.email, address, now).await?;
    if code.trim().is_empty() {
        return Err(AppError::invalid(
            "code",
            "Enter the code from your authenticator app",
        ));
    }
    let mut w = app.store.work(now).await?;
    let pending = sessions::pending_totp_secret(&mut w, &app.store, &s)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "code",
                "Scan the QR code first: the set-up page has been refreshed",
            )
        })?;
    let secret = hex::decode(pending)
        .map_err(|_| AppError::Internal("pending TOTP secret is not hex".into()))?;
    let t = secrets::totp(&secret, &user_issuer(app, &user).await?, &user.email);
    let Some(step) = secrets::totp_matching_step(&t, code, now) else {
        w.rollback().await?;
        record_failure(app, &user.email, address, Some(&user), "auth.code_refused").await?;
        return Err(AppError::invalid("code", BAD_CODE));
    };
    let cipher = w.cipher(user.org_id).await?;
    users::set_totp(
        &mut w,
        now,
        user.id,
        Some(cipher.encrypt(&users::totp_place(user.id), &hex::encode(&secret))?),
    )
    .await?;
    users::accept_totp_step(&mut w, user.id, step).await?;
    let codes = secrets::recovery_codes();
    let hashes: Vec<_> = codes
        .iter()
        .map(|c| {
            (
                hearth_domain::ids::new_id(now),
                secrets::token_hash(&secrets::normalise_code(c)),
            )
        })
        .collect();
    users::replace_recovery_codes(&mut w, user.org_id, user.id, &hashes).await?;
    sessions::set_pending_totp(&mut w, &s.token_hash, None).await?;
    w.audit(
        AuditEvent::new("user.second_factor_enrolled", "user")
            .org(user.org_id)
            .actor(user.id)
            .entity(user.id),
    );
    let token = promote(&mut w, &s, &user, now, "totp_enrolment").await?;
    w.commit().await?;
    Ok((token, codes))
}

/// Sign out: the session ends at once, on the server.
pub async fn sign_out(app: &App, token: &str) -> Result<()> {
    let now = app.now();
    let mut w = app.store.work(now).await?;
    if let Some(s) = sessions::get(&mut w, &secrets::token_hash(token)).await? {
        if s.ended_at.is_none() {
            end_and_audit(&mut w, &s, now, "signed_out").await?;
        }
    }
    w.commit().await?;
    Ok(())
}

/// Change one's own password. Other sessions of the user end; this one continues.
pub async fn change_password(
    app: &App,
    who: &SignedIn,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let mut invalid = Invalid::default();
    let stored = {
        let mut conn = app.store.conn().await?;
        users::get(&mut conn, who.user.org_id, who.user.id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    if !secrets::verify_password(current, &stored.password_hash) {
        invalid.push("current_password", "Your current password is not right");
    }
    let new = invalid.check(NewPassword::parse("new_password", new));
    if new.is_some() && new.as_ref().map(|n| n.expose()) != Some(confirm) {
        invalid.push("confirm_password", "The two new passwords do not match");
    }
    if let Some(n) = &new {
        if same(n.expose(), current) {
            invalid.push(
                "new_password",
                "Choose a password different from your current one",
            );
        }
    }
    invalid.into_result()?;
    let new = new.expect("checked above");
    let hash = secrets::hash_password(new.expose());
    let now = app.now();
    let mut w = app.store.work(now).await?;
    users::set_password(&mut w, now, who.user.id, &hash, false).await?;
    sessions::end_others_for_user(
        &mut w,
        now,
        who.user.id,
        &who.token_hash,
        "password_changed",
    )
    .await?;
    w.audit(
        AuditEvent::new("user.password_changed", "user")
            .org(who.user.org_id)
            .actor(who.user.id)
            .entity(who.user.id),
    );
    w.commit().await?;
    Ok(())
}

/// A caller of the JSON API, identified by a bearer token.
pub async fn api_caller(app: &App, bearer: &str) -> Result<SignedIn> {
    let now = app.now();
    let hash = secrets::token_hash(bearer.trim());
    let mut conn = app.store.conn().await?;
    let token = tokens::by_hash(&mut conn, &hash)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let user = users::get(&mut conn, token.org_id, token.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if user.is_disabled() {
        return Err(AppError::Unauthenticated);
    }
    let org = orgs::get(&mut conn, user.org_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let break_glass = hearth_store::break_glass::active_cases(&mut conn, user.id, now).await?;
    // The read connection goes back first: holding it while waiting for the writer would let a
    // burst of API calls take every connection and wait on each other.
    drop(conn);
    if token.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
        let mut w = app.store.write_conn().await?;
        tokens::mark_used(&mut w, now, token.id).await?;
    }
    Ok(SignedIn {
        user: user.into(),
        org,
        csrf_token: String::new(),
        token_hash: hash,
        break_glass,
    })
}
