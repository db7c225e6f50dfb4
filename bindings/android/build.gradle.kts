// The iav-bridge Android library: the generated Kotlin bindings (bindings/kotlin), the Android
// layer in src/main/kotlin, the core's native libraries for four ABIs, JNA, and the Android
// component of rustls-platform-verifier, in one AAR.
//
// Native libraries: scripts/build-android.sh builds them with cargo-ndk into
// build/rustJniLibs/<abi>/libiav_bridge.so; the `buildRustLibraries` task runs it before every
// build unless -Piavbridge.skipCargo=true.

import com.vanniktech.maven.publish.AndroidSingleVariantLibrary
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
    `maven-publish`
    // Maven Central (the Central Portal) with signatures, sources and javadoc jars.
    alias(libs.plugins.maven.publish)
}

val repoRoot: Directory = layout.projectDirectory.dir("../..")

/** The crate's version (`[package] version` in Cargo.toml) is the AAR's version. */
val crateVersion: String = providers.fileContents(repoRoot.file("Cargo.toml")).asText.map { text ->
    val packageSection = text.substringAfter("\n[package]", missingDelimiterValue = "")
    Regex("""(?m)^version\s*=\s*"([^"]+)"""").find(packageSection)?.groupValues?.get(1)
        ?: throw GradleException("no [package] version in Cargo.toml")
}.get()

/**
 * The version of rustls-platform-verifier's Android component must equal the locked version of
 * the `rustls-platform-verifier-android` crate (its README's rule), so it is read from Cargo.lock.
 */
val rustlsComponentVersion: String = providers.fileContents(repoRoot.file("Cargo.lock")).asText.map { lock ->
    val lines = lock.lines()
    val nameAt = lines.indexOfFirst { it.trim() == "name = \"rustls-platform-verifier-android\"" }
    if (nameAt < 0) throw GradleException("rustls-platform-verifier-android is not in Cargo.lock")
    lines.drop(nameAt + 1).first { it.trim().startsWith("version = ") }
        .substringAfter('"').substringBefore('"')
}.get()

/** The repository (`[package] repository` in Cargo.toml), for the POM. */
val repositoryUrl: String = providers.fileContents(repoRoot.file("Cargo.toml")).asText.map { text ->
    val packageSection = text.substringAfter("\n[package]", missingDelimiterValue = "")
    Regex("""(?m)^repository\s*=\s*"([^"]+)"""").find(packageSection)?.groupValues?.get(1)
        ?: throw GradleException("no [package] repository in Cargo.toml")
}.get()

group = "dev.iavbridge"
version = crateVersion

android {
    namespace = "dev.iavbridge.android"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
        consumerProguardFiles("consumer-rules.pro")
        // The Kotlin suite on a device (scripts/test-android-device.sh): src/androidTest.
        testInstrumentationRunner = "dev.iavbridge.android.test.BackendRunner"
    }

    sourceSets {
        getByName("main") {
            // Hand-written layer + the generated bindings (scripts/generate-bindings.sh).
            java.srcDirs("src/main/kotlin", repoRoot.dir("bindings/kotlin"))
            // arm64-v8a, armeabi-v7a, x86_64 and x86, built by scripts/build-android.sh.
            jniLibs.srcDir(layout.buildDirectory.dir("rustJniLibs"))
        }
        getByName("androidTest") {
            // The runner, and the suite of tests/kotlin copied by deviceSuite (below).
            java.srcDirs("src/androidTest/kotlin", layout.buildDirectory.dir("deviceSuite"))
        }
    }

    buildTypes {
        release {
            // A library is shrunk by the app that uses it, with consumer-rules.pro.
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        jniLibs {
            // The release libraries are already stripped by cargo (profile.release strip = true).
            keepDebugSymbols += "**/libiav_bridge.so"
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// rustls-platform-verifier's Android component, bundled into this AAR so apps need no extra
// repository: its AAR holds only classes.jar, which is extracted and packaged as a local jar
// (AGP puts local jars of a library into the AAR's libs/).
val rustlsComponent: Configuration by configurations.creating {
    isCanBeConsumed = false
    isCanBeResolved = true
    isTransitive = false
}

val extractRustlsComponent by tasks.registering(Copy::class) {
    description = "Extracts classes.jar of rustls-platform-verifier's Android component."
    from({ zipTree(rustlsComponent.singleFile) }) {
        include("classes.jar")
    }
    val jarName = "rustls-platform-verifier-$rustlsComponentVersion.jar"
    rename { jarName }
    into(layout.buildDirectory.dir("rustls-platform-verifier"))
}

dependencies {
    rustlsComponent("rustls:rustls-platform-verifier:$rustlsComponentVersion@aar")
    implementation(
        files(layout.buildDirectory.file("rustls-platform-verifier/rustls-platform-verifier-$rustlsComponentVersion.jar"))
            .builtBy(extractRustlsComponent),
    )

    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI.
    implementation(libs.jna) {
        artifact { type = "aar" }
    }
    implementation(libs.kotlinx.coroutines.android)

    androidTestImplementation(libs.androidx.test.runner)
    androidTestImplementation(libs.junit)
}

// The part of the Kotlin suite (tests/kotlin) that runs on a device: all of it but the JVM's
// runner (Runner.kt) and the tests that need a JVM (DocsTest reads the repository, ErrorsTest
// serves with com.sun.net.httpserver, FirstUseStressTest starts JVM processes).
val deviceSuite by tasks.registering(Sync::class) {
    description = "Copies the device-capable part of tests/kotlin for the instrumented tests."
    from(repoRoot.dir("tests/kotlin")) {
        include("*.kt")
        exclude("Runner.kt", "DocsTest.kt", "ErrorsTest.kt", "FirstUseStressTest.kt")
    }
    into(layout.buildDirectory.dir("deviceSuite"))
}

val buildRustLibraries by tasks.registering(Exec::class) {
    description = "Builds libiav_bridge.so for every ABI with cargo-ndk (scripts/build-android.sh --native-only)."
    group = "build"
    val skipCargo = providers.gradleProperty("iavbridge.skipCargo").map { it.toBoolean() }.orElse(false)
    onlyIf { !skipCargo.get() }
    workingDir(repoRoot)
    commandLine("bash", "scripts/build-android.sh", "--native-only")
}

tasks.named("preBuild") {
    dependsOn(buildRustLibraries, deviceSuite)
}

// The published AAR: dev.iavbridge:iav-bridge-android:<crate version> on Maven Central, through
// the Central Portal, signed. .github/workflows/release.yml runs `publishAndReleaseToMavenCentral`
// on a version tag with the credentials and the in-memory signing key as Gradle properties
// (ORG_GRADLE_PROJECT_mavenCentralUsername, ..._mavenCentralPassword, ..._signingInMemoryKey,
// ..._signingInMemoryKeyPassword); scripts/release.sh reads the coordinates from here.
mavenPublishing {
    coordinates("dev.iavbridge", "iav-bridge-android", crateVersion)
    // The release variant, with its sources jar and a javadoc jar (Maven Central requires both).
    configure(AndroidSingleVariantLibrary("release", true, true))
    publishToMavenCentral()
    // Signed whenever a key is given; Maven Central refuses an unsigned upload, and local
    // publishing (below) needs no key.
    if (providers.gradleProperty("signingInMemoryKey").isPresent) {
        signAllPublications()
    }
    pom {
        name.set("iav-bridge for Android")
        description.set(
            "Bank account verification through Dwolla exchange sessions (Plaid Link) for " +
                "Android apps: a Rust core with generated Kotlin bindings.",
        )
        url.set(repositoryUrl)
        licenses {
            license {
                name.set("MIT License")
                url.set("https://opensource.org/licenses/MIT")
            }
            license {
                name.set("Apache License 2.0")
                url.set("https://www.apache.org/licenses/LICENSE-2.0")
            }
        }
        developers {
            developer {
                id.set("iav-bridge")
                name.set("The iav-bridge authors")
                url.set(repositoryUrl)
            }
        }
        scm {
            url.set(repositoryUrl)
            connection.set("scm:git:$repositoryUrl.git")
            developerConnection.set("scm:git:$repositoryUrl.git")
        }
    }
}

publishing {
    repositories {
        // `gradle publishAllPublicationsToLocalRepository` writes the same publication to
        // build/maven (no key needed); point an app, or your organization's repository, at it.
        maven {
            name = "local"
            url = uri(layout.buildDirectory.dir("maven"))
        }
    }
}
