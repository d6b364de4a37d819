// Gridwalk for Android: the Rust core (libgridwalk_ffi.so for each ABI, built with cargo-ndk),
// the uniffi-generated Kotlin, and the idiomatic layer in src/main/kotlin/org/gridwalk.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.gridwalk"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin", layout.buildDirectory.dir("generated/uniffi"))
    sourceSets["main"].jniLibs.srcDirs(layout.buildDirectory.dir("rustJniLibs"))
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
}

val workspace = rootDir.parentFile

// cargo install cargo-ndk; the NDK from the Android SDK (ANDROID_NDK_HOME). The workspace's
// `mobile` profile (size-optimised, stripped) is what BENCHMARKS.md measures and what ships.
val buildRust by tasks.registering(Exec::class) {
    workingDir = workspace
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", layout.buildDirectory.dir("rustJniLibs").get().asFile.path,
        "build", "--profile", "mobile", "-p", "gridwalk-ffi", "--features", "vendored-openssl",
    )
}

// A host build of the library, unstripped: uniffi-bindgen reads the interface from its symbol
// table, which the stripped mobile libraries no longer have. The interface is the same on
// every target.
val buildHostRust by tasks.registering(Exec::class) {
    workingDir = workspace
    commandLine("cargo", "build", "-p", "gridwalk-ffi", "--lib")
}

// Kotlin bindings generated from the built library by the workspace's pinned uniffi-bindgen.
val generateBindings by tasks.registering(Exec::class) {
    dependsOn(buildRust, buildHostRust)
    workingDir = workspace
    commandLine(
        "cargo", "run", "-p", "gridwalk-ffi", "--bin", "uniffi-bindgen", "--",
        "generate", "--library",
        File(workspace, "target/debug/libgridwalk_ffi.so").path,
        "--language", "kotlin",
        "--out-dir", layout.buildDirectory.dir("generated/uniffi").get().asFile.path,
    )
}

tasks.named("preBuild") { dependsOn(generateBindings) }
