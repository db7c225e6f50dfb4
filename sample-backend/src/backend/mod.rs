//! The app backend: the proxy the mobile library calls.
