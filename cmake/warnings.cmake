# Compiler warnings and optional sanitizers for every pgark target.
function(pgark_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                         -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
                         -Wno-missing-field-initializers)
  if(PGARK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  pgark_set_sanitizers(${target})
endfunction()

# With PGARK_SANITIZE, for every target built from pgark's code, the unit tests included (which
# do not take the warnings): an executable whose objects are not instrumented does not even link
# against the instrumented library.
function(pgark_set_sanitizers target)
  if(PGARK_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
