# Warnings and hardening, set once for every target (STYLE.md §10).
# Each flag is checked against the compiler at hand: clang 14 (used for the
# fuzz targets) refuses some flags that gcc 12 takes.
include(CheckCCompilerFlag)

set(SS_WARN_FLAGS -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wimplicit-fallthrough -Wvla -Wpointer-arith)
set(SS_HARDEN_FLAGS -fstack-protector-strong -fstack-clash-protection
    -ftrivial-auto-var-init=zero -fPIE -fcf-protection)

function(ss_add_flags_checked out)
  set(result)
  foreach(flag ${ARGN})
    string(MAKE_C_IDENTIFIER "SS_HAS${flag}" var)
    check_c_compiler_flag(${flag} ${var})
    if(${var})
      list(APPEND result ${flag})
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

ss_add_flags_checked(SS_C_FLAGS ${SS_WARN_FLAGS} ${SS_HARDEN_FLAGS})
if(SS_WERROR)
  list(APPEND SS_C_FLAGS -Werror)
endif()
add_compile_options(${SS_C_FLAGS})

# _FORTIFY_SOURCE needs optimisation; sanitizer builds use -O1.
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
endif()
add_compile_definitions(_GNU_SOURCE)

set(CMAKE_POSITION_INDEPENDENT_CODE ON)
add_link_options(-pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)

if(SS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -O1)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SS_FUZZ)
  # Libraries get coverage instrumentation; the fuzz targets link libFuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -g -O1)
  add_link_options(-fsanitize=address,undefined)
endif()
