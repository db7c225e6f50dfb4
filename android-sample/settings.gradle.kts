// android-sample: verifies a bank account with iav-bridge and Plaid Link.
// The iav-bridge AAR module is used from source as an included build (../bindings/android);
// an app using the published AAR declares `implementation("dev.iavbridge:iav-bridge-android:<version>")`
// and its Maven repository instead.

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
    }
}

includeBuild("../bindings/android") {
    dependencySubstitution {
        substitute(module("dev.iavbridge:iav-bridge-android")).using(project(":"))
    }
}

rootProject.name = "iav-bridge-android-sample"
include(":app")
