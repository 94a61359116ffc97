// Android build of the healthpass library module and app shell. Not built on the project's
// Linux machines (no Android SDK or Gradle); see README.md.
pluginManagement {
    repositories { google(); mavenCentral(); gradlePluginPortal() }
}
dependencyResolutionManagement {
    repositories { google(); mavenCentral() }
}
rootProject.name = "healthpass-android"
include(":healthpass", ":app")
