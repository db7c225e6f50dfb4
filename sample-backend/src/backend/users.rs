//! App users of the users file (`--users`, development): bearer tokens mapped to Dwolla
//! customers, the file's rules, and the HMAC under which the database keeps each token.

use std::fmt;
use std::path::Path;

use super::store::StoredUser;

/// One app user: the bearer token the app sends and the Dwolla customer it acts as.
/// `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AppUser {
    /// A display name (`alice`).
    pub name: String,
    /// The bearer token (`Authorization: Bearer <token>`).
    pub token: String,
    /// The Dwolla customer id this user acts as (`me`).
    pub customer_id: String,
}

impl fmt::Debug for AppUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppUser")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("customer_id", &self.customer_id)
            .finish()
    }
}

/// The shortest bearer token a users file may give (a shorter one is guessable).
pub const MIN_TOKEN_CHARS: usize = 16;

/// Why a users file could not be used. Never quotes the file's tokens.
#[derive(Debug, thiserror::Error)]
pub enum UsersFileError {
    /// The file could not be read.
    #[error("cannot read the users file: {0}")]
    Read(#[from] std::io::Error),
    /// The file is not TOML of the form `[users]` token = "customer-id".
    #[error(
        "the users file must be TOML with a [users] table of token = \"customer-id\" entries \
         (or name = {{ token = \"...\", customer = \"customer-id\" }}) ({0})"
    )]
    Syntax(String),
    /// A customer id is not a Dwolla id.
    #[error("user {0} in the users file has an invalid customer id")]
    BadCustomer(String),
    /// A token is shorter than [`MIN_TOKEN_CHARS`].
    #[error(
        "user {0} in the users file has a token shorter than {MIN_TOKEN_CHARS} characters; \
         give it a long random one (e.g. openssl rand -hex 24)"
    )]
    ShortToken(String),
    /// Two users have one token.
    #[error("users {0} and {1} in the users file have the same token")]
    SameToken(String, String),
    /// `generation` is not a positive integer.
    #[error("the users file's generation must be a whole number from 1")]
    BadGeneration,
    /// No users.
    #[error("the users file defines no users")]
    Empty,
}

/// A users file, read: its users and the `generation` it names, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersFile {
    /// The users, in the order of their names.
    pub users: Vec<AppUser>,
    /// The file's top-level `generation = N`, if given: stored as generation N when above the
    /// database's (see [`super::Store::import_users`]).
    pub generation: Option<i64>,
}

/// Parses a users file's text: a `[users]` table whose entries are either
/// `"<token>" = "<customer id>"` (users named `user-1`, `user-2`, ... in the order of their
/// tokens) or `<name> = { token = "<token>", customer = "<customer id>" }`; and an optional
/// top-level `generation = N`. Tokens must have at least [`MIN_TOKEN_CHARS`] characters.
pub fn parse_users_file(text: &str) -> Result<UsersFile, UsersFileError> {
    let value: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The parser's own message may quote a key, and keys are tokens: give the line only.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        UsersFileError::Syntax(format!("invalid TOML at line {line}"))
    })?;
    let generation = match value.get("generation") {
        None => None,
        Some(v) => Some(
            v.as_integer()
                .filter(|n| *n >= 1)
                .ok_or(UsersFileError::BadGeneration)?,
        ),
    };
    let table = value
        .get("users")
        .and_then(|v| v.as_table())
        .ok_or_else(|| UsersFileError::Syntax("no [users] table".into()))?;
    let mut entries: Vec<(&String, &toml::Value)> = table.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut users: Vec<AppUser> = Vec::new();
    for (n, (key, value)) in entries.into_iter().enumerate() {
        let (name, token, customer) = match value {
            toml::Value::Table(t) => {
                let field = |f: &str| t.get(f).and_then(toml::Value::as_str);
                let token = field("token").ok_or_else(|| {
                    UsersFileError::Syntax(format!("user {key} has no token = \"...\""))
                })?;
                (key.clone(), token.to_string(), field("customer"))
            }
            other => (format!("user-{}", n + 1), key.clone(), other.as_str()),
        };
        let customer = customer
            .filter(|c| super::rewrite::valid_id(c))
            .ok_or_else(|| UsersFileError::BadCustomer(name.clone()))?;
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(UsersFileError::ShortToken(name));
        }
        if let Some(other) = users.iter().find(|u| u.token == token) {
            return Err(UsersFileError::SameToken(other.name.clone(), name));
        }
        users.push(AppUser {
            name,
            token,
            customer_id: customer.to_string(),
        });
    }
    if users.is_empty() {
        return Err(UsersFileError::Empty);
    }
    Ok(UsersFile { users, generation })
}

/// The users of a users file's text (see [`parse_users_file`]).
pub fn parse_users(text: &str) -> Result<Vec<AppUser>, UsersFileError> {
    parse_users_file(text).map(|f| f.users)
}

/// Reads and parses a users file (see [`parse_users_file`]).
pub fn load_users_file(path: &Path) -> Result<UsersFile, UsersFileError> {
    parse_users_file(&std::fs::read_to_string(path)?)
}

/// Reads and parses a users file's users (see [`parse_users_file`]).
pub fn load_users(path: &Path) -> Result<Vec<AppUser>, UsersFileError> {
    load_users_file(path).map(|f| f.users)
}

/// The shortest users secret accepted (`--users-secret-file`, `IAV_USERS_SECRET`), in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// HMAC-SHA256 of a bearer token with the users secret, in hex: what the database keeps of a
/// users file's token.
pub fn token_hash(secret: &[u8], token: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    super::database::hex(ring::hmac::sign(&key, token.as_bytes()).as_ref())
}

/// The users as stored (tokens replaced by their HMAC) and the digest of the set, which tells
/// one set of users from another (an HMAC too: it reveals nothing of the tokens).
pub fn stored_users(secret: &[u8], users: &[AppUser]) -> (String, Vec<StoredUser>) {
    let mut stored: Vec<StoredUser> = users
        .iter()
        .map(|u| StoredUser {
            token_hash: token_hash(secret, &u.token),
            name: u.name.clone(),
            customer_id: u.customer_id.clone(),
        })
        .collect();
    stored.sort_by(|a, b| a.token_hash.cmp(&b.token_hash));
    let listing: String = stored
        .iter()
        .map(|u| format!("{}\t{}\t{}\n", u.token_hash, u.name, u.customer_id))
        .collect();
    let digest = token_hash(secret, &format!("iav-users-set\n{listing}"));
    (digest, stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_to_customers() {
        let users = parse_users(
            "[users]\n\"tok-b-0123456789abcdef\" = \"cust-2\"\ntok-a-0123456789abcdef = \"cust-1\"\n",
        )
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].token, "tok-a-0123456789abcdef");
        assert_eq!(users[0].customer_id, "cust-1");
        assert_eq!(users[1].name, "user-2");
        let file = parse_users_file(
            "generation = 3\n[users]\nalice = { token = \"0123456789abcdef\", customer = \"c-1\" }\n",
        )
        .unwrap();
        assert_eq!(file.generation, Some(3));
        assert_eq!(file.users[0].name, "alice");
    }

    #[test]
    fn refuses_bad_files_without_quoting_tokens() {
        assert!(matches!(
            parse_users("x = 1"),
            Err(UsersFileError::Syntax(_))
        ));
        assert!(matches!(
            parse_users("[users]\n"),
            Err(UsersFileError::Empty)
        ));
        let e = parse_users("[users]\nsecret-tok-0123456789 = \"a/b\"\n").unwrap_err();
        assert!(!e.to_string().contains("secret-tok"));
        let e = parse_users("[users]\nsecret-tok-0123456789 = 3\n").unwrap_err();
        assert!(!format!("{e:?}").contains("secret-tok"));
        let e = parse_users("[users]\nbob = { token = \"short-SECRET\", customer = \"c\" }\n")
            .unwrap_err();
        assert!(e.to_string().contains("user bob"), "{e}");
        assert!(!e.to_string().contains("short-SECRET"), "{e}");
        assert!(matches!(
            parse_users("generation = 0\n[users]\n0123456789abcdef = \"c\"\n"),
            Err(UsersFileError::BadGeneration)
        ));
    }

    #[test]
    fn tokens_are_hmacs_of_the_secret() {
        let a = token_hash(b"secret-one-0123456789abcdef012345", "tok");
        let b = token_hash(b"secret-two-0123456789abcdef012345", "tok");
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
