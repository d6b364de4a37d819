#!/usr/bin/env bash
# Builds ios/build/GridwalkFFIC.xcframework from the Rust core for devices (aarch64-apple-ios)
# and simulators (aarch64-apple-ios-sim, x86_64-apple-ios), with the uniffi header and module
# map, and regenerates the Swift bindings. Needs macOS with Xcode and the three Rust targets:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
set -euo pipefail
cd "$(dirname "$0")/../.."
out=ios/build
rm -rf "$out" && mkdir -p "$out/headers"

for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build --profile mobile -p gridwalk-ffi --lib --target "$target"
done

cargo run -p gridwalk-ffi --bin uniffi-bindgen -- generate \
  --library target/aarch64-apple-ios/mobile/libgridwalk_ffi.a \
  --language swift --out-dir "$out/generated"
cp "$out/generated/GridwalkFFI.swift" ios/Sources/GridwalkFFI/GridwalkFFI.swift
cp "$out/generated/GridwalkFFIC.h" "$out/headers/"
cp "$out/generated/GridwalkFFIC.modulemap" "$out/headers/module.modulemap"

mkdir -p "$out/sim"
lipo -create \
  target/aarch64-apple-ios-sim/mobile/libgridwalk_ffi.a \
  target/x86_64-apple-ios/mobile/libgridwalk_ffi.a \
  -output "$out/sim/libgridwalk_ffi.a"

xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/mobile/libgridwalk_ffi.a -headers "$out/headers" \
  -library "$out/sim/libgridwalk_ffi.a" -headers "$out/headers" \
  -output "$out/GridwalkFFIC.xcframework"
echo "built $out/GridwalkFFIC.xcframework"
