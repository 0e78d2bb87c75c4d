#!/usr/bin/env bash
# Build the kit's wasm kernels (kernels.c -> kernels.wasm) with Debian's clang and lld (apt-get install clang lld).
# The built .wasm is committed with its SHA-256 (kernels.wasm.sha256, which the kit checks before it loads the
# module): `npm ci` needs no compiler; test/gpu-fused.test.ts checks that the committed binary is what this script
# builds, where clang is present, and that the recorded hash is the binary's.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-kernels.wasm}"
clang --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -ffreestanding -fno-builtin -fno-exceptions \
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all \
  -Wl,--export=gn_forward -Wl,--export=gn_backward -Wl,--export=concat_channels -Wl,--export=split_channels \
  -o "$out" kernels.c
if [ "$out" = kernels.wasm ]; then sha256sum kernels.wasm > kernels.wasm.sha256; fi
