//! Step-up: before removing a second factor, making new recovery codes or deleting the
//! organization, a user who has a second factor gives one again, unless this session gave one
//! in the last few minutes (`XOPS_STEP_UP_MINUTES`). It comes in the form's `code` field: a code
//! of the authenticator, a recovery code, or a passkey's answer (JSON, which
//! `public/passkeys.js` puts there after "Confirm with a passkey").
use crate::error::AppError;

pub async fn step_up(
    state: &crate::server::AppState,
    session: &tower_sessions::Session,
    user: &super::session::SessionUser,
    code: &str,
) -> Result<(), AppError> {
    if super::session::second_factor_fresh(session, state).await? {
        return Ok(());
    }
    let mut conn = state.pool.acquire().await?;
    let has_one = super::factor_store::has_second_factor(&mut conn, user.user_id).await?;
    drop(conn);
    if !has_one {
        return Ok(());
    }
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::invalid(
            "code",
            "To confirm it is you, enter a code from your authenticator app or a recovery code, or use a passkey.",
        ));
    }
    if code.starts_with('{') {
        super::webauthn::confirm_step_up(state, session, user.user_id, code).await?;
    } else {
        super::factors::check_code(state, user.user_id, &user.email, &super::session::client_addr().await, code).await?;
    }
    super::session::mark_second_factor(session).await
}
