# Warnings for stepd's own targets only; third-party headers are SYSTEM includes.
add_library(stepd_warnings INTERFACE)
target_compile_options(stepd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>
  # GCC 12 at -O2/-O3 reports std::string concatenation as overlapping memcpy (GCC bug 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  $<$<BOOL:${STEPD_WERROR}>:-Werror>)
