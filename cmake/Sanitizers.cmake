# STEPD_SANITIZE="address;undefined" or "thread" instruments every target, stepd's and tests'.
if(STEPD_SANITIZE)
  if("thread" IN_LIST STEPD_SANITIZE AND "address" IN_LIST STEPD_SANITIZE)
    message(FATAL_ERROR "STEPD_SANITIZE: thread and address sanitizers cannot be combined")
  endif()
  list(JOIN STEPD_SANITIZE "," stepd_sanitizers)
  add_compile_options(-fsanitize=${stepd_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${stepd_sanitizers})
  # clang 14's -fsanitize=function (part of "undefined") cannot compile C++20 coroutines
  # ("Cannot represent a difference across sections"); the server's sessions are coroutines.
  if("undefined" IN_LIST STEPD_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-fno-sanitize=function)
  endif()
endif()
