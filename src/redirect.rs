//! Redirect value rules: the Android package name and the iOS universal-link URL that Dwolla
//! passes to Plaid. Pure functions, no I/O.

/// Which redirect rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum RedirectUrlError {
    /// The value is not a valid Android package name (applicationId).
    #[error("invalid Android package name: {reason}")]
    InvalidAndroidPackageName {
        /// Which rule failed, in words a developer can act on.
        reason: String,
    },
    /// The value is not a valid iOS redirect URL (an https universal link).
    #[error("invalid iOS redirect URL: {reason}")]
    InvalidIosRedirectUrl {
        /// Which rule failed, in words a developer can act on.
        reason: String,
    },
}
