//! Bearer JWTs of an OIDC issuer (`--auth jwt`, the sign-in mode for deployment): the
//! configuration ([`JwtConfig`]) and the verification of one token with `jsonwebtoken`: RS256 or
//! ES256 only (never `none`, never HMAC: a key of the JWKS is a public key), the signature with
//! the issuer's key named by `kid` (see `jwks`), then `iss`, `aud`, `exp`, `nbf` and `iat` with
//! a small clock skew. Each refusal has a reason ([`TokenError`]) that the 401 names in
//! `WWW-Authenticate`; none repeats the token.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use super::jwks::{check_url, Jwks, JwksError, Lookup};

/// What happens at the first request of a subject that no Dwolla customer is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewSubjects {
    /// A Dwolla customer (`unverified`) is created from the token's `email`, `given_name` and
    /// `family_name` (or `name`) and linked to the subject.
    Create,
    /// 403 `Forbidden`: an operator links the subject to a customer in the database.
    Refuse,
}

/// How bearer JWTs are verified.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// The issuer (`iss`), e.g. `https://id.example.com/realms/app`: https, or http on loopback.
    pub issuer: String,
    /// The audience (`aud`) tokens must name: this backend's client id or API identifier.
    pub audience: String,
    /// The JWKS URL; `None`: the `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    pub jwks_url: Option<String>,
    /// The clock skew allowed on `exp`, `nbf` and `iat` (default 30 s).
    pub leeway: Duration,
    /// The shortest time between two fetches of the JWKS for unknown key ids (default 30 s).
    pub min_refresh_interval: Duration,
    /// How long fetched keys are used before they are fetched again (default 1 h).
    pub max_key_age: Duration,
    /// The time limit of one request to the issuer (default 5 s).
    pub timeout: Duration,
    /// New subjects: a customer created, or 403 (default [`NewSubjects::Refuse`]).
    pub new_subjects: NewSubjects,
}

impl JwtConfig {
    /// Tokens of `issuer` for `audience`, with the default skew, refresh and policy.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        JwtConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: None,
            leeway: Duration::from_secs(30),
            min_refresh_interval: Duration::from_secs(30),
            max_key_age: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
            new_subjects: NewSubjects::Refuse,
        }
    }

    /// Checks the URLs (https, or http on loopback; no user info) and the audience.
    pub fn check(&self) -> Result<(), JwksError> {
        check_url("--jwt-issuer", &self.issuer)?;
        if let Some(url) = &self.jwks_url {
            check_url("--jwks-url", url)?;
        }
        Ok(())
    }
}

/// Why a bearer JWT was refused: the `error_description` of the 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts with a JSON header and payload.
    #[error("the token is malformed")]
    Malformed,
    /// `alg` is not RS256 or ES256 (`none`, HS256, ...).
    #[error("the token's algorithm {0} is not accepted (RS256 and ES256 only)")]
    UnsupportedAlg(String),
    /// No key of the issuer has the token's `kid`.
    #[error("the token's signing key (kid) is not one of the issuer's keys")]
    UnknownKey,
    /// The signature does not verify (a forged or altered token).
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still ahead.
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    /// `iat` is ahead.
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    /// `iss` is not the configured issuer.
    #[error("the token's issuer is not the one this backend trusts")]
    WrongIssuer,
    /// `aud` does not name this backend.
    #[error("the token's audience is not this backend")]
    WrongAudience,
    /// A claim the backend needs is missing or not of its type.
    #[error("the token has no valid {0} claim")]
    MissingClaim(&'static str),
}

/// The claims the backend reads.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Claims {
    /// The subject: the user's id at the issuer.
    pub(crate) sub: String,
    #[serde(default)]
    iat: Option<i64>,
    /// The user's email (to create a Dwolla customer).
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) given_name: Option<String>,
    #[serde(default)]
    pub(crate) family_name: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

/// A verified token's claims, or why there are none; or the issuer's keys are unavailable.
pub(crate) enum Verified {
    /// The token is valid.
    Valid(Claims),
    /// The token is refused.
    Refused(TokenError),
    /// The issuer's keys could not be fetched (and never were): try again later.
    KeysUnavailable,
}

/// Verifies bearer JWTs of one issuer.
pub(crate) struct JwtVerifier {
    config: JwtConfig,
    pub(crate) jwks: Jwks,
}

/// The `alg` of a token's header when `jsonwebtoken` could not read the header (an algorithm it
/// does not know, such as `none`): only to word the refusal, never to verify anything. A
/// short name of letters and digits, else `None`.
fn header_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let alg = value.get("alg")?.as_str()?;
    (alg.len() <= 16 && alg.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| alg.to_string())
}

impl JwtVerifier {
    /// A verifier for `config` (checked with [`JwtConfig::check`]).
    pub(crate) fn new(config: JwtConfig) -> Result<Self, JwksError> {
        config.check()?;
        let jwks = Jwks::new(
            &config.issuer,
            config.jwks_url.as_deref(),
            config.min_refresh_interval,
            config.max_key_age,
            config.timeout,
        )?;
        Ok(JwtVerifier { config, jwks })
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// Verifies `token`.
    pub(crate) async fn verify(&self, token: &str) -> Verified {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(h) => h,
            Err(_) => {
                return Verified::Refused(match header_alg(token) {
                    Some(alg) => TokenError::UnsupportedAlg(alg),
                    None => TokenError::Malformed,
                })
            }
        };
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Verified::Refused(TokenError::UnsupportedAlg(format!("{:?}", header.alg)));
        }
        let key = match self.jwks.key(header.kid.as_deref(), header.alg).await {
            Lookup::Found(key) => key,
            Lookup::Unknown => return Verified::Refused(TokenError::UnknownKey),
            Lookup::Unavailable => return Verified::KeysUnavailable,
        };
        // One algorithm, the key's: a token cannot choose how its key is used.
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.config.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        let claims = match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => data.claims,
            Err(e) => {
                return Verified::Refused(match e.kind() {
                    ErrorKind::InvalidSignature => TokenError::BadSignature,
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                    ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                    ErrorKind::InvalidAudience => TokenError::WrongAudience,
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        TokenError::UnsupportedAlg(format!("{:?}", header.alg))
                    }
                    ErrorKind::MissingRequiredClaim(c) => {
                        TokenError::MissingClaim(match c.as_str() {
                            "exp" => "exp",
                            "iss" => "iss",
                            "aud" => "aud",
                            _ => "sub",
                        })
                    }
                    _ => TokenError::Malformed,
                })
            }
        };
        let now = super::store::now_secs();
        let leeway = i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX);
        if claims
            .iat
            .is_some_and(|iat| iat > now.saturating_add(leeway))
        {
            return Verified::Refused(TokenError::IssuedInFuture);
        }
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Verified::Refused(TokenError::MissingClaim("sub"));
        }
        Verified::Valid(claims)
    }
}
