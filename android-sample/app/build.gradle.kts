plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

/** A Gradle property as a Java string literal for BuildConfig. */
fun buildConfigString(name: String): String {
    val value = providers.gradleProperty(name).orNull
        ?: throw GradleException("set $name in gradle.properties (see README.md)")
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
}

android {
    namespace = "dev.iavbridge.sample"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        // The package name is the Plaid redirect value on Android: register it in the Plaid
        // dashboard (Allowed Android package names) and in the Dwolla account.
        applicationId = "dev.iavbridge.sample"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"

        buildConfigField("String", "BACKEND_URL", buildConfigString("iavbridge.backendUrl"))
        buildConfigField("String", "DEMO_USER_TOKEN", buildConfigString("iavbridge.demoUserToken"))
        // Empty, or the sample-backend's simulator: debug builds then let it stand in for MX
        // Connect and Checkout.com's card form (flow/SimulatedPartners.kt).
        buildConfigField("String", "SIMULATOR_URL", buildConfigString("iavbridge.simulatorUrl"))
    }

    buildTypes {
        release {
            // Shrunk like a real app: the AAR's consumer rules keep JNA and the bindings.
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            // A demo: signed with the debug key so that `installRelease` works out of the box.
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(libs.iav.bridge.android)
    implementation(libs.plaid.link.sdk)

    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.ui.tooling.preview)
    debugImplementation(libs.androidx.compose.ui.tooling)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.browser)
    implementation(libs.kotlinx.coroutines.android)
}
