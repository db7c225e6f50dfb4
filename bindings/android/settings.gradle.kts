// The iav-bridge Android library (AAR). Built by scripts/build-android.sh, and used by
// android-sample as an included build. Apps that take the published AAR do not need this file.

pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // rustls-platform-verifier's Android component (a small AAR of Kotlin classes) is published
        // in a Maven layout in the rustls-platform-verifier repository, as that crate's README says.
        // Its version is taken from Cargo.lock (build.gradle.kts), so it always matches the crate.
        maven {
            url = uri("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/")
            content { includeGroup("rustls") }
        }
        // Older releases of the component crate shipped that Maven repository inside the crate
        // itself; when the locked version does, use it from Cargo's registry (no download).
        val localComponentRepo = rustlsComponentMavenDir()
        if (localComponentRepo != null) {
            maven {
                url = uri(localComponentRepo)
                content { includeGroup("rustls") }
            }
        }
    }
}

/**
 * The `maven/` folder of the locked `rustls-platform-verifier-android` crate in Cargo's registry,
 * found through `cargo metadata`, or null when that crate version has none (or cargo is missing).
 */
fun rustlsComponentMavenDir(): File? {
    val manifest = File(settingsDir, "../../Cargo.toml").canonicalFile
    val output = try {
        providers.exec {
            commandLine(
                "cargo", "metadata", "--format-version", "1", "--locked",
                "--filter-platform", "aarch64-linux-android",
                "--manifest-path", manifest.path,
            )
            isIgnoreExitValue = true
        }.standardOutput.asText.get()
    } catch (e: Exception) {
        return null
    }
    @Suppress("UNCHECKED_CAST")
    val packages = (groovy.json.JsonSlurper().parseText(output.ifBlank { "{}" }) as Map<String, Any?>)["packages"]
        as? List<Map<String, Any?>> ?: return null
    val component = packages.firstOrNull { it["name"] == "rustls-platform-verifier-android" } ?: return null
    val mavenDir = File(File(component["manifest_path"] as String).parentFile, "maven")
    return mavenDir.takeIf { it.isDirectory }
}

rootProject.name = "iav-bridge-android"
