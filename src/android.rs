//! Android-only JNI entry point: hands the application `Context` to rustls-platform-verifier.
//!
//! On Android the core verifies TLS certificates with the platform's trust store through
//! rustls-platform-verifier, which calls into the JVM (its Kotlin component ships in the AAR).
//! It needs the application `Context` once per process, before the first request. The AAR does
//! that for the app when it asks for a client, never at app start: `IavBridgeAndroid.loadClient`
//! (suspend) or `preload` load this library on a background thread and call
//! [`Java_dev_iavbridge_android_IavBridgeAndroid_nativeInitialize`]; the blocking
//! `IavBridgeAndroid.initialize(context)` does the same on the calling thread.
//!
//! The entry point never unwinds into the JVM (that would abort the app): JNI errors and panics
//! are turned into a status code that the Kotlin side reports as an exception.
//!
//! The only module of the crate allowed `unsafe_code` (the workspace denies it): an exported
//! JNI symbol needs `#[unsafe(no_mangle)]`. The status codes are repeated in the AAR's Kotlin
//! layer; tests/jni_status_codes.rs fails when the two differ.

#![allow(unsafe_code)]

use jni::objects::{JClass, JObject};
use jni::sys::jint;
use jni::{EnvUnowned, Outcome};

/// Status returned to Kotlin: the verifier is initialized (or already was).
pub const INIT_OK: jint = 0;
/// Status returned to Kotlin: a JNI call failed (for example a null or non-`Context` argument).
pub const INIT_JNI_ERROR: jint = 1;
/// Status returned to Kotlin: the initialization panicked; the panic was caught.
pub const INIT_PANICKED: jint = 2;
/// Status returned to Kotlin: the `context` argument was null.
pub const INIT_NULL_CONTEXT: jint = 3;

/// JNI implementation of `IavBridgeAndroid.nativeInitialize(context: Context): Int`
/// (a `@JvmStatic external fun` of the Kotlin object `dev.iavbridge.android.IavBridgeAndroid`).
///
/// Initializes rustls-platform-verifier with the application context. Calling it again is
/// harmless: the first successful initialization is kept for the life of the process.
/// Returns [`INIT_OK`], [`INIT_NULL_CONTEXT`], [`INIT_JNI_ERROR`] or [`INIT_PANICKED`]; it
/// never throws and never unwinds across the JNI boundary.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_iavbridge_android_IavBridgeAndroid_nativeInitialize<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    context: JObject<'caller>,
) -> jint {
    if context.is_null() {
        log::error!(target: "iav_bridge::android", "initialize was called with a null Context");
        return INIT_NULL_CONTEXT;
    }
    // `with_env` runs the closure under `catch_unwind`.
    let outcome = unowned_env
        .with_env(|env| -> Result<(), jni::errors::Error> {
            rustls_platform_verifier::android::init_with_env(env, context)
        })
        .into_outcome();
    match outcome {
        Outcome::Ok(()) => {
            log::debug!(target: "iav_bridge::android", "platform certificate verifier initialized");
            INIT_OK
        }
        Outcome::Err(error) => {
            log::error!(
                target: "iav_bridge::android",
                "could not initialize the platform certificate verifier: {error}"
            );
            INIT_JNI_ERROR
        }
        Outcome::Panic(_) => {
            log::error!(
                target: "iav_bridge::android",
                "initializing the platform certificate verifier panicked"
            );
            INIT_PANICKED
        }
    }
}
