#!/usr/bin/env bash
# Builds build/HealthpassFFI.xcframework (static libraries for iOS devices, the iOS simulator
# and macOS, with the generated C header and module map) for the Swift package. Run on macOS
# with Xcode and rustup; it cannot run on the project's Linux machines.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=..
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${TARGETS[@]}"
for target in "${TARGETS[@]}"; do
    cargo build --manifest-path "$ROOT/Cargo.toml" -p healthpass-ffi --release --target "$target"
done
LIB=libhealthpass_ffi.a
OUT=build
rm -rf "$OUT" && mkdir -p "$OUT/headers" "$OUT/ios-sim" "$OUT/macos"
cp Sources/HealthpassFFIC/include/healthpass_ffiFFI.h "$OUT/headers/"
cp Sources/HealthpassFFIC/include/module.modulemap "$OUT/headers/"
lipo -create "$ROOT/target/aarch64-apple-ios-sim/release/$LIB" "$ROOT/target/x86_64-apple-ios/release/$LIB" -output "$OUT/ios-sim/$LIB"
lipo -create "$ROOT/target/aarch64-apple-darwin/release/$LIB" "$ROOT/target/x86_64-apple-darwin/release/$LIB" -output "$OUT/macos/$LIB"
xcodebuild -create-xcframework \
    -library "$ROOT/target/aarch64-apple-ios/release/$LIB" -headers "$OUT/headers" \
    -library "$OUT/ios-sim/$LIB" -headers "$OUT/headers" \
    -library "$OUT/macos/$LIB" -headers "$OUT/headers" \
    -output "$OUT/HealthpassFFI.xcframework"
echo "built $OUT/HealthpassFFI.xcframework"
