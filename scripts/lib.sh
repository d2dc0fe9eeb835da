# Shared by scripts/test and scripts/run (sourced, not run): where things are and how each build
# tree is configured, so that both scripts reuse the same trees.
# shellcheck shell=bash

STEPD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEPD_JOBS="${STEPD_JOBS:-2}"

# stepd_configure DIR CMAKE_ARGS...: configures (or refreshes) the Ninja tree $STEPD_ROOT/DIR.
stepd_configure() {
  local dir="${STEPD_ROOT}/$1"
  shift
  # A tree made by another generator cannot be reused; start it afresh.
  if [[ -f "${dir}/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${dir}/CMakeCache.txt"; then
    rm -rf "${dir}"
  fi
  cmake -S "${STEPD_ROOT}" -B "${dir}" -G Ninja --log-level=WARNING -DSTEPD_WERROR=ON "$@"
}

# gcc Release: what ships, with tests and the benchmark smoke run.
stepd_configure_release() {
  stepd_configure build/release -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++
}

# clang Debug with AddressSanitizer and UndefinedBehaviorSanitizer.
stepd_configure_asan() {
  stepd_configure build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DSTEPD_SANITIZE='address;undefined' \
    -DSTEPD_BUILD_BENCHMARKS=OFF
}

# clang Debug with ThreadSanitizer, for the code that runs on several threads: the server, the
# log store, the operational log and the metrics.
stepd_configure_tsan() {
  stepd_configure build/tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DSTEPD_SANITIZE=thread -DSTEPD_BUILD_BENCHMARKS=OFF
}

# clang libFuzzer targets (with ASan and UBSan), -O1 so that fuzzing makes progress.
stepd_configure_fuzz() {
  stepd_configure build/fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
    -DSTEPD_BUILD_FUZZERS=ON -DSTEPD_BUILD_TESTS=OFF -DSTEPD_BUILD_BENCHMARKS=OFF
}

stepd_build() {
  cmake --build "${STEPD_ROOT}/$1" -j "${STEPD_JOBS}" "${@:2}"
}
