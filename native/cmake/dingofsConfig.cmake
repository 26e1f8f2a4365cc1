# CMake package of libdingofs: provides the imported target dingofs::c.
get_filename_component(_dingofs_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET dingofs::c)
  find_library(DINGOFS_LIBRARY NAMES dingofs PATHS "${_dingofs_prefix}/lib" "${_dingofs_prefix}/lib64"
               NO_DEFAULT_PATH)
  find_path(DINGOFS_INCLUDE_DIR dingofs/libdingofs.h PATHS "${_dingofs_prefix}/include"
            NO_DEFAULT_PATH)
  if(NOT DINGOFS_LIBRARY OR NOT DINGOFS_INCLUDE_DIR)
    set(dingofs_FOUND FALSE)
    set(dingofs_NOT_FOUND_MESSAGE "libdingofs not found under ${_dingofs_prefix}")
    return()
  endif()
  add_library(dingofs::c SHARED IMPORTED)
  set_target_properties(dingofs::c PROPERTIES
    IMPORTED_LOCATION "${DINGOFS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${DINGOFS_INCLUDE_DIR}")
endif()
set(dingofs_FOUND TRUE)
