# The portal web app (portal/) in the build: npm builds it in a copy under the build tree (so
# build trees never share node_modules), and embed.cmake turns the result into a C++ source of
# the k4ds_portal library. Node.js and npm are needed to build k4ds, never to run it.
#
#   portal/package-lock.json ──npm ci──▶ <build>/portal/node_modules   (only when the lock changes)
#   portal/src, index.html … ──npm run build──▶ <build>/portal/dist
#   <build>/portal/dist ──embed.cmake──▶ <build>/generated/portal_files.cc ──▶ k4ds_portal
#
# Included from the top-level CMakeLists.txt after k4ds_component(portal …).

find_program(K4DS_NPM npm)
find_program(K4DS_NODE node)
if(NOT K4DS_NPM OR NOT K4DS_NODE)
  message(FATAL_ERROR "The portal is built with Node.js and npm, which were not found. "
                      "Install them with: scripts/install-deps.sh build")
endif()

# npm ci of the project in `source` into the build directory `work`, re-run only when
# package-lock.json changes; the stamp lives in node_modules, so deleting node_modules
# reinstalls. Returns the stamp's path in `out_stamp` for DEPENDS. Also used by the tests'
# Kubernetes schema checker (tests/kubernetes/schema/schema.cmake).
function(k4ds_npm_ci source work label out_stamp)
  set(stamp ${work}/node_modules/.k4ds-npm-ci.stamp)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -E copy ${source}/package.json ${source}/package-lock.json ${work}/
    COMMAND ${K4DS_NPM} ci --no-audit --no-fund --loglevel=error
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${source}/package-lock.json
    WORKING_DIRECTORY ${work}
    COMMENT "${label}: npm ci (package-lock.json changed)"
    VERBATIM)
  set(${out_stamp} ${stamp} PARENT_SCOPE)
endfunction()

set(K4DS_PORTAL_SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/portal)
set(K4DS_PORTAL_WORK ${CMAKE_CURRENT_BINARY_DIR}/portal)
set(portal_generated ${CMAKE_CURRENT_BINARY_DIR}/generated/portal_files.cc)
file(MAKE_DIRECTORY ${K4DS_PORTAL_WORK} ${CMAKE_CURRENT_BINARY_DIR}/generated)

file(GLOB_RECURSE portal_inputs CONFIGURE_DEPENDS
     ${K4DS_PORTAL_SOURCE}/src/* ${K4DS_PORTAL_SOURCE}/public/* ${K4DS_PORTAL_SOURCE}/e2e/*)
set(portal_config_files index.html vite.config.ts tsconfig.json package.json)
list(TRANSFORM portal_config_files PREPEND ${K4DS_PORTAL_SOURCE}/ OUTPUT_VARIABLE portal_configs)

k4ds_npm_ci(${K4DS_PORTAL_SOURCE} ${K4DS_PORTAL_WORK} portal portal_npm_stamp)

# The copy is made afresh, so a file deleted from portal/src does not linger in the build.
add_custom_command(
  OUTPUT ${K4DS_PORTAL_WORK}/build.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf src public e2e
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${K4DS_PORTAL_SOURCE}/src src
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${K4DS_PORTAL_SOURCE}/public public
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${K4DS_PORTAL_SOURCE}/e2e e2e
  COMMAND ${CMAKE_COMMAND} -E copy ${portal_configs} .
  COMMAND ${K4DS_NPM} run --silent build
  COMMAND ${CMAKE_COMMAND} -E touch build.stamp
  DEPENDS ${portal_inputs} ${portal_configs} ${portal_npm_stamp}
  WORKING_DIRECTORY ${K4DS_PORTAL_WORK}
  COMMENT "portal: npm run build"
  VERBATIM)

# The generated source is a byproduct rewritten only when the build output changed, so Ninja
# (restat) recompiles nothing after an unchanged rebuild.
add_custom_command(
  OUTPUT ${K4DS_PORTAL_WORK}/embed.stamp
  BYPRODUCTS ${portal_generated}
  COMMAND ${CMAKE_COMMAND} -DDIST=${K4DS_PORTAL_WORK}/dist -DOUT=${portal_generated}
          -P ${K4DS_PORTAL_SOURCE}/embed.cmake
  COMMAND ${CMAKE_COMMAND} -E touch ${K4DS_PORTAL_WORK}/embed.stamp
  DEPENDS ${K4DS_PORTAL_WORK}/build.stamp ${K4DS_PORTAL_SOURCE}/embed.cmake
  COMMENT "portal: embedding the build into k4ds"
  VERBATIM)

target_sources(k4ds_portal PRIVATE ${portal_generated})
add_custom_target(k4ds_portal_build DEPENDS ${K4DS_PORTAL_WORK}/embed.stamp)
add_dependencies(k4ds_portal k4ds_portal_build)
