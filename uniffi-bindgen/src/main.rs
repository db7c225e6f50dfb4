//! Generates the Kotlin and Swift bindings of `iav_bridge` (see scripts/generate-bindings.sh).

fn main() {
    uniffi::uniffi_bindgen_main()
}
