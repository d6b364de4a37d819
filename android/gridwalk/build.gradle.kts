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

// cargo install cargo-ndk; the NDK from the Android SDK (ANDROID_NDK_HOME).
val buildRust by tasks.registering(Exec::class) {
    workingDir = workspace
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", layout.buildDirectory.dir("rustJniLibs").get().asFile.path,
        "build", "--release", "-p", "gridwalk-ffi",
    )
}

// Kotlin bindings generated from the built library by the workspace's pinned uniffi-bindgen.
val generateBindings by tasks.registering(Exec::class) {
    dependsOn(buildRust)
    workingDir = workspace
    commandLine(
        "cargo", "run", "-p", "gridwalk-ffi", "--bin", "uniffi-bindgen", "--",
        "generate", "--library",
        layout.buildDirectory.file("rustJniLibs/arm64-v8a/libgridwalk_ffi.so").get().asFile.path,
        "--language", "kotlin",
        "--out-dir", layout.buildDirectory.dir("generated/uniffi").get().asFile.path,
    )
}

tasks.named("preBuild") { dependsOn(generateBindings) }
