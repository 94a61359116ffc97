// The library module: generated UniFFI bindings + the Kotlin facade + the Rust libraries,
// built with cargo-ndk into src/main/jniLibs (see ../README.md).
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.healthpass"
    compileSdk = 35
    defaultConfig { minSdk = 26 }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    sourceSets["main"].java.srcDirs("src/main/kotlin")
    sourceSets["test"].java.srcDirs("src/test/kotlin")
    // The JVM unit tests load the host build of the library (not the Android .so) and read the
    // fixtures the cargo harness writes; run `cargo test -p healthpass-tests --all-features
    // --test kotlin_bindings` once first (it builds target/debug/libhealthpass_ffi.so and the
    // healthpass-issuer binary and writes target/kotlin/work).
    testOptions.unitTests.all { test ->
        val repository = rootDir.parentFile
        val target = File(repository, "target/debug")
        test.systemProperty("jna.library.path", target.path)
        test.systemProperty("healthpass.repo", repository.path)
        test.systemProperty("healthpass.issuer", File(target, "healthpass-issuer").path)
        test.systemProperty("healthpass.work", File(repository, "target/kotlin/work").path)
    }
}

dependencies {
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    testImplementation("junit:junit:4.13.2")
    testImplementation("net.java.dev.jna:jna:5.13.0")
}
