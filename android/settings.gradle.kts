// The Android library around the generated Kotlin bindings. It cannot be built on the
// project's CI machines (no Android SDK); its Kotlin sources are compiled and tested on the JVM
// by scripts/bindings-test instead.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "gridwalk-android"
include(":gridwalk")
