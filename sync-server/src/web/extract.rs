//! What a page handler takes from its request: the reader's language ([`PageLang`]) and the
//! signed-in supervisor with their area ([`Supervisor`]), as axum extractors. A request without
//! a live session is sent to the login page, one of another role gets the 403 page.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use axum::Form;
use axum::extract::FromRequestParts;
use axum::extract::rejection::FormRejection;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use gridwalk_core::messages::{Lang, Message};
use gridwalk_core::{Role, Timestamp};

use super::{PageError, blocking, cookie, csrf};
use crate::accounts::Session;
use crate::scope::scopes_of;
use crate::state::AppState;

/// The language of a request: `?lang=` first, then the `gw_lang` cookie, then Chinese.
pub(crate) fn lang_of(headers: &HeaderMap, query: Option<&str>) -> String {
    let asked = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|kv| kv.strip_prefix("lang="))
        .find(|l| *l == "en" || *l == "zh");
    if let Some(l) = asked {
        return l.to_owned();
    }
    cookie(headers, "gw_lang")
        .filter(|l| l == "en")
        .unwrap_or_else(|| "zh".into())
}

/// The reader's language (`zh` or `en`).
pub(crate) struct PageLang(pub String);

impl PageLang {
    /// The language for messages.
    pub(crate) fn lang(&self) -> Lang {
        Lang::from_tag(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang_of(&parts.headers, parts.uri.query())))
    }
}

/// Who is signed in, for the header and the forms of the page rendered for them (a page or an
/// error page): filled by [`Supervisor`], read by `view::render_views` after the handler.
#[derive(Clone, Default)]
pub(crate) struct Reader(Arc<OnceLock<Who>>);

/// The signed-in reader's name and form token.
pub(crate) struct Who {
    /// Display name.
    pub name: String,
    /// The session's form token (see `csrf`).
    pub csrf: String,
}

impl Reader {
    /// Who is reading, once known.
    pub(crate) fn get(&self) -> Option<&Who> {
        self.0.get()
    }

    fn set(&self, who: Who) {
        let _ = self.0.set(who);
    }
}

/// The signed-in supervisor (or admin) of a page request, with the scopes of their area.
pub(crate) struct Supervisor {
    /// The session.
    pub session: Session,
    /// The session's scopes (`grid:…`, `compound:…`), from grants and reference data.
    pub scopes: Vec<String>,
}

impl Supervisor {
    /// The reader's grids.
    pub(crate) fn grids(&self) -> Vec<String> {
        self.scoped("grid:")
    }

    /// The reader's compounds.
    pub(crate) fn compounds(&self) -> Vec<String> {
        self.scoped("compound:")
    }

    fn scoped(&self, prefix: &str) -> Vec<String> {
        self.scopes
            .iter()
            .filter_map(|s| s.strip_prefix(prefix))
            .map(str::to_owned)
            .collect()
    }

    /// The signed-in user's id.
    pub(crate) fn user_id(&self) -> &str {
        &self.session.actor.user_id
    }

    /// A 403 for a record outside the reader's area, logged: every refusal leaves a trace.
    pub(crate) fn refuse(&self, what: &str) -> PageError {
        tracing::warn!(user = %self.user_id(), what, "refused a page outside the user's area");
        PageError::outside_area()
    }

    /// A 403 for a POST without this session's form token, logged.
    pub(crate) fn form_expired(&self) -> PageError {
        tracing::warn!(user = %self.user_id(), "refused a POST without the session's form token");
        PageError::form_expired()
    }

    /// A posted form, if it parsed and carries this session's form token ([`csrf`]); else
    /// the logged 403 of [`Supervisor::form_expired`]. Every workbench action starts here.
    pub(crate) fn checked_form<F: FormToken>(
        &self,
        headers: &HeaderMap,
        form: Result<Form<F>, FormRejection>,
    ) -> Result<F, PageError> {
        match form {
            Ok(Form(form)) if csrf::session_token_matches(headers, form.form_token()) => Ok(form),
            _ => Err(self.form_expired()),
        }
    }
}

/// A posted form with the hidden form-token field `csrf`.
pub(crate) trait FormToken {
    /// The token the form carried.
    fn form_token(&self) -> &str;
}

/// Implements [`FormToken`] for forms whose token field is `csrf`.
macro_rules! form_token {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::extract::FormToken for $form {
            fn form_token(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use form_token;

impl FromRequestParts<Arc<AppState>> for Supervisor {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, "gw_session").ok_or(PageError::SignIn)?;
        let form_token = csrf::for_session(&token);
        let found = blocking(app, move |app| {
            // A token that is unknown, expired, idle too long or unreadable: sign in again.
            let Ok(session) = app.accounts.authenticate(&token, Timestamp::now()) else {
                return Ok(None);
            };
            let scopes = if matches!(session.actor.role, Role::Supervisor | Role::Admin) {
                scopes_of(&session, &app.store).map_err(PageError::internal)?
            } else {
                Vec::new()
            };
            Ok(Some((session, scopes)))
        })
        .await?;
        let (session, scopes) = found.ok_or(PageError::SignIn)?;
        if let Some(reader) = parts.extensions.get::<Reader>() {
            reader.set(Who {
                name: session.display_name.clone(),
                csrf: form_token,
            });
        }
        if !matches!(session.actor.role, Role::Supervisor | Role::Admin) {
            tracing::warn!(user = %session.actor.user_id, "refused the web pages to a non-supervisor");
            return Err(PageError::Forbidden(Message::new("web.supervisors_only")));
        }
        Ok(Supervisor { session, scopes })
    }
}
