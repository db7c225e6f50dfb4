//! App users: bearer tokens mapped to Dwolla customers.

use std::fmt;
use std::path::Path;

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

/// Why a users file could not be used. Never quotes the file's tokens.
#[derive(Debug, thiserror::Error)]
pub enum UsersFileError {
    /// The file could not be read.
    #[error("cannot read the users file: {0}")]
    Read(#[from] std::io::Error),
    /// The file is not TOML of the form `[users]` token = "customer-id".
    #[error(
        "the users file must be TOML with a [users] table of token = \"customer-id\" entries ({0})"
    )]
    Syntax(String),
    /// A customer id is not a Dwolla id.
    #[error("user number {0} in the users file has an invalid customer id")]
    BadCustomer(usize),
    /// No users.
    #[error("the users file defines no users")]
    Empty,
}

/// Parses a users file's text: a `[users]` table whose keys are bearer tokens and values
/// customer ids. Users are named `user-1`, `user-2`, ... in the order of their tokens.
pub fn parse_users(text: &str) -> Result<Vec<AppUser>, UsersFileError> {
    let value: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The parser's own message may quote a key, and keys are tokens: give the line only.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        UsersFileError::Syntax(format!("invalid TOML at line {line}"))
    })?;
    let table = value
        .get("users")
        .and_then(|v| v.as_table())
        .ok_or_else(|| UsersFileError::Syntax("no [users] table".into()))?;
    let mut entries: Vec<(&String, &toml::Value)> = table.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut users = Vec::new();
    for (n, (token, customer)) in entries.into_iter().enumerate() {
        let customer = customer
            .as_str()
            .filter(|c| super::rewrite::valid_id(c))
            .ok_or(UsersFileError::BadCustomer(n + 1))?;
        if token.is_empty() {
            return Err(UsersFileError::Syntax("an empty token".into()));
        }
        users.push(AppUser {
            name: format!("user-{}", n + 1),
            token: token.clone(),
            customer_id: customer.to_string(),
        });
    }
    if users.is_empty() {
        return Err(UsersFileError::Empty);
    }
    Ok(users)
}

/// Reads and parses a users file (see [`parse_users`]).
pub fn load_users(path: &Path) -> Result<Vec<AppUser>, UsersFileError> {
    parse_users(&std::fs::read_to_string(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_to_customers() {
        let users = parse_users("[users]\n\"tok-b\" = \"cust-2\"\ntok-a = \"cust-1\"\n").unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].token, "tok-a");
        assert_eq!(users[0].customer_id, "cust-1");
        assert_eq!(users[1].name, "user-2");
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
        let e = parse_users("[users]\nsecret-tok = \"a/b\"\n").unwrap_err();
        assert!(!e.to_string().contains("secret-tok"));
        let e = parse_users("[users]\nsecret-tok = 3\n").unwrap_err();
        assert!(!format!("{e:?}").contains("secret-tok"));
    }
}
