# The official Kubernetes schemas for kubernetes_test: npm installs kubernetes-models (pinned by
# package-lock.json) into the build tree, next to a copy of validate.mjs, only when the lock
# changes (k4ds_npm_ci from portal/portal.cmake). kubernetes_test runs
#   node <build>/kubernetes-schema/validate.mjs objects.json
# on everything the renderer produces. Included from tests/CMakeLists.txt.

set(K4DS_SCHEMA_SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/kubernetes/schema)
set(K4DS_SCHEMA_WORK ${PROJECT_BINARY_DIR}/kubernetes-schema)
file(MAKE_DIRECTORY ${K4DS_SCHEMA_WORK})

k4ds_npm_ci(${K4DS_SCHEMA_SOURCE} ${K4DS_SCHEMA_WORK} "kubernetes schemas" schema_npm_stamp)
add_custom_command(
  OUTPUT ${K4DS_SCHEMA_WORK}/validate.mjs
  COMMAND ${CMAKE_COMMAND} -E copy ${K4DS_SCHEMA_SOURCE}/validate.mjs ${K4DS_SCHEMA_WORK}/
  DEPENDS ${K4DS_SCHEMA_SOURCE}/validate.mjs
  VERBATIM)
add_custom_target(kubernetes_schema_deps
  DEPENDS ${schema_npm_stamp} ${K4DS_SCHEMA_WORK}/validate.mjs)

if(TARGET kubernetes_test)
  add_dependencies(kubernetes_test kubernetes_schema_deps)
  target_compile_definitions(kubernetes_test PRIVATE
    K4DS_NODE="${K4DS_NODE}" K4DS_SCHEMA_VALIDATOR="${K4DS_SCHEMA_WORK}/validate.mjs")
endif()

# k4ds_up_test.cc runs the real binary (`k4ds up` with a Kubernetes runtime against the fake API
# server), and includes the end-to-end helpers of tests/server and tests/support.
if(TARGET kubernetes_test)
  add_dependencies(kubernetes_test k4ds)
endif()
