//! Sign-in of app users, two modes over one store (the user-to-customer map lives only in the
//! database, read at every request, so a revocation there holds on every instance at once):
//! - `--auth jwt` ([`AuthMode::Jwt`]): bearer JWTs of an OIDC issuer (`jwt`, `jwks`); the
//!   subject maps to a Dwolla customer in `iav_subjects`, created at its first request or
//!   refused with 403, as configured;
//! - `--users FILE` ([`AuthMode::Users`], development): the file's tokens, stored as HMACs with
//!   the users secret in `iav_file_users` with the file's generation (see
//!   [`super::Store::import_users`]).
//!
//! A refused token is 401 with `WWW-Authenticate: Bearer error="invalid_token",
//! error_description="<why>"`. What a signed-in user may reach is decided in `ownership.rs`.

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use serde_json::json;
use tokio::sync::OnceCell;

use super::error::ApiError;
use super::jwks::JwksError;
use super::jwt::{Claims, JwtConfig, JwtVerifier, NewSubjects, TokenError, Verified};
use super::store::{Store, StoreError, UsersImport};
use super::users::{self, AppUser, MIN_SECRET_BYTES};
use super::Backend;

/// How app users sign in.
#[derive(Debug, Clone, Default)]
pub enum AuthMode {
    /// Bearer tokens of the users of [`super::BackendConfig::users`] (a users file, or the
    /// simulated mode's demo users), stored in the database at start.
    #[default]
    Users,
    /// Bearer JWTs of an OIDC issuer.
    Jwt(JwtConfig),
}

/// Why sign-in could not be set up at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The users are an older set than the database's: started with an older users file.
    #[error(
        "the users file is older than the one in the database (its users are generation \
         {generation}, the database's are generation {current}): start with the current users \
         file; to make this one current again on purpose, add `generation = {next}` at its top"
    )]
    Superseded {
        /// The set's generation.
        generation: i64,
        /// The database's.
        current: i64,
        /// The generation to give to make it current.
        next: i64,
    },
    /// The users secret is too short.
    #[error("the users secret must have at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    /// The issuer's configuration is not usable.
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

/// The sign-in state of a backend.
pub(crate) struct SignIn {
    mode: Mode,
    users: Vec<AppUser>,
    generation: Option<i64>,
    configured_secret: Option<Vec<u8>>,
    secret: OnceCell<Vec<u8>>,
    ready: OnceCell<()>,
}

enum Mode {
    Users,
    Jwt(Box<JwtVerifier>),
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field(
                "mode",
                &match self.mode {
                    Mode::Users => "users",
                    Mode::Jwt(_) => "jwt",
                },
            )
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// Sign-in for `mode`; `users` and `generation` are imported into the store by
    /// [`SignIn::prepare`] (users mode), their tokens hashed with `secret` or the store's.
    pub(crate) fn new(
        mode: AuthMode,
        users: Vec<AppUser>,
        generation: Option<i64>,
        secret: Option<Vec<u8>>,
    ) -> Result<SignIn, SignInError> {
        if secret.as_ref().is_some_and(|s| s.len() < MIN_SECRET_BYTES) {
            return Err(SignInError::ShortSecret);
        }
        let mode = match mode {
            AuthMode::Users => Mode::Users,
            AuthMode::Jwt(config) => Mode::Jwt(Box::new(JwtVerifier::new(config)?)),
        };
        Ok(SignIn {
            mode,
            users,
            generation,
            configured_secret: secret,
            secret: OnceCell::new(),
            ready: OnceCell::new(),
        })
    }

    /// How many times the issuer's JWKS was fetched (0 in users mode).
    pub(crate) fn jwks_fetches(&self) -> u64 {
        match &self.mode {
            Mode::Jwt(v) => v.jwks.fetches(),
            Mode::Users => 0,
        }
    }

    async fn secret(&self, store: &dyn Store) -> Result<&[u8], StoreError> {
        self.secret
            .get_or_try_init(|| async {
                match &self.configured_secret {
                    Some(s) => Ok(s.clone()),
                    None => store.users_secret().await,
                }
            })
            .await
            .map(Vec::as_slice)
    }

    /// Once: in users mode, stores the users as a generation (refusing an older set); in JWT
    /// mode, fetches the issuer's keys (a failure is logged; they are fetched again at the
    /// first token).
    pub(crate) async fn prepare(&self, store: &dyn Store) -> Result<(), SignInError> {
        self.ready
            .get_or_try_init(|| async {
                match &self.mode {
                    Mode::Users => self.import(store).await,
                    Mode::Jwt(v) => {
                        if let Err(e) = v.jwks.refresh(true).await {
                            log::warn!("{e}");
                        }
                        Ok(())
                    }
                }
            })
            .await
            .map(|_| ())
    }

    async fn import(&self, store: &dyn Store) -> Result<(), SignInError> {
        if self.users.is_empty() {
            return Ok(());
        }
        let secret = self.secret(store).await?;
        let (digest, stored) = users::stored_users(secret, &self.users);
        match store
            .import_users(&digest, self.generation, &stored)
            .await?
        {
            UsersImport::Imported {
                generation,
                removed,
            } => {
                log::info!(
                    "users: {} stored as generation {generation}; {removed} users of the \
                     previous generation removed",
                    stored.len()
                );
                Ok(())
            }
            UsersImport::Current { generation } => {
                log::info!("users: generation {generation}, stored already");
                Ok(())
            }
            UsersImport::Superseded {
                generation,
                current,
            } => Err(SignInError::Superseded {
                generation,
                current,
                next: current + 1,
            }),
        }
    }
}

/// The authenticated app user of a request; extracting it answers 401 `InvalidAccessToken`
/// (with `WWW-Authenticate`) for a missing or refused bearer token, 403 `Forbidden` for a revoked
/// user or one with no customer. The client limits' middleware (`limits.rs`) signs the caller in
/// first and leaves it in the request's extensions, where this extractor takes it.
#[derive(Clone)]
pub(crate) struct Caller(pub(crate) AppUser);

/// The bearer token of `Authorization: Bearer <token>`.
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<Backend> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Backend) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let sign_in = &state.inner.sign_in;
        let store = state.inner.store.as_ref();
        if let Err(e) = sign_in.prepare(store).await {
            log::error!("sign-in is not ready: {e}");
            return Err(unavailable());
        }
        match &sign_in.mode {
            Mode::Users => {
                let secret = sign_in.secret(store).await?;
                let user = store
                    .file_user(&users::token_hash(secret, token))
                    .await?
                    .ok_or_else(|| ApiError::invalid_token("the token is not a known user's"))?;
                Ok(Caller(AppUser {
                    name: user.name,
                    token: token.to_string(),
                    customer_id: user.customer_id,
                }))
            }
            Mode::Jwt(verifier) => {
                let claims = match verifier.verify(token).await {
                    Verified::Valid(claims) => claims,
                    Verified::Refused(why) => {
                        log::debug!("bearer JWT refused: {why}");
                        return Err(refused(&why));
                    }
                    Verified::KeysUnavailable => return Err(unavailable()),
                };
                let customer = subject_customer(state, verifier, &claims).await?;
                Ok(Caller(AppUser {
                    name: claims.sub,
                    token: token.to_string(),
                    customer_id: customer,
                }))
            }
        }
    }
}

fn refused(why: &TokenError) -> ApiError {
    ApiError::invalid_token(&why.to_string())
}

/// 503: the issuer's keys or the users could not be read; retry.
fn unavailable() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "The backend cannot verify sign-ins right now.",
    )
    .with_retry_after(HeaderValue::from_static("5"))
}

/// The Dwolla customer of a verified token's subject: the one linked in the database (403 when
/// revoked), else a new one (or 403, by [`NewSubjects`]).
async fn subject_customer(
    state: &Backend,
    verifier: &JwtVerifier,
    claims: &Claims,
) -> Result<String, ApiError> {
    let issuer = &verifier.config().issuer;
    let store = state.inner.store.as_ref();
    let linked = match store.subject(issuer, &claims.sub).await? {
        Some(link) => link,
        None => {
            if verifier.config().new_subjects == NewSubjects::Refuse {
                return Err(ApiError::forbidden(
                    "This user has no Dwolla customer at this backend.",
                ));
            }
            let customer = create_customer(state, issuer, claims).await?;
            store.link_subject(issuer, &claims.sub, &customer).await?
        }
    };
    if linked.revoked {
        return Err(ApiError::forbidden("This user's access is revoked."));
    }
    Ok(linked.customer_id)
}

/// Creates an `unverified` Dwolla customer for a new subject, from its `email` and names. The
/// `Idempotency-Key` is derived from the issuer and subject, so that two instances creating one
/// subject's customer at once get the same one from Dwolla. A customer that exists with the
/// email already is not taken over: 403.
async fn create_customer(
    state: &Backend,
    issuer: &str,
    claims: &Claims,
) -> Result<String, ApiError> {
    let no_customer = |why: &str| {
        ApiError::forbidden(&format!(
            "No Dwolla customer could be created for this user: {why}."
        ))
    };
    let email = claims
        .email
        .as_deref()
        .filter(|e| e.contains('@'))
        .ok_or_else(|| no_customer("the token has no email claim"))?;
    let (first, last) = match (&claims.given_name, &claims.family_name, &claims.name) {
        (Some(f), Some(l), _) if !f.trim().is_empty() && !l.trim().is_empty() => {
            (f.trim().to_string(), l.trim().to_string())
        }
        (_, _, Some(n)) if n.trim().contains(' ') => {
            let (f, l) = n.trim().rsplit_once(' ').unwrap_or((n, n));
            (f.trim().to_string(), l.trim().to_string())
        }
        _ => {
            return Err(no_customer(
                "the token has no given_name and family_name (nor a full name)",
            ))
        }
    };
    let secret = state.inner.store.key_secret().await?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
    let derived = super::database::hex(
        ring::hmac::sign(
            &key,
            format!("customer\n{issuer}\n{}", claims.sub).as_bytes(),
        )
        .as_ref(),
    );
    let key = HeaderValue::from_str(&derived).map_err(|_| no_customer("no key"))?;
    let body = json!({"firstName": first, "lastName": last, "email": email, "type": "unverified"});
    let _slot = state.inner.dwolla_slots.acquire().await?;
    let resp = state.inner.dwolla.post("/customers", &body, &key).await?;
    if resp.status.as_u16() == 201 {
        let id = resp
            .location
            .as_deref()
            .and_then(|l| state.inner.rw.id_in(l, "customers"))
            .ok_or_else(|| ApiError::bad_gateway("Dwolla answered unexpectedly."))?;
        log::info!("created Dwolla customer {id} for a new user of the issuer");
        return Ok(id);
    }
    if resp.status.is_client_error() {
        log::warn!(
            "Dwolla refused to create a customer for a new user: {} {}",
            resp.status.as_u16(),
            resp.code().unwrap_or("")
        );
        return Err(no_customer(
            "Dwolla refused it (an existing customer with this email is not taken over)",
        ));
    }
    Err(state.pass_error(resp))
}
