# fake_apiserver: the test API server of kubernetes_test (HTTPS on loopback, Boost.Beast,
# see main.cc), which the FakeApiServer fixture (tests/kubernetes/fake_apiserver.h) runs as
# K4DS_FAKE_APISERVER. Included from tests/CMakeLists.txt, after k4ds_test_suite(kubernetes).

file(GLOB K4DS_FAKE_APISERVER_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cc)
add_executable(fake_apiserver ${K4DS_FAKE_APISERVER_SOURCES})
target_link_libraries(fake_apiserver PRIVATE Boost::headers Boost::json OpenSSL::SSL Threads::Threads)

if(TARGET kubernetes_test)
  add_dependencies(kubernetes_test fake_apiserver)
  target_compile_definitions(kubernetes_test PRIVATE K4DS_FAKE_APISERVER="$<TARGET_FILE:fake_apiserver>")
endif()
