# Installation and Debian packages (issue 14; docs/operations.md "Install from packages").
#
#   cmake --install build                 everything, under CMAKE_INSTALL_PREFIX (/usr/local)
#   scripts/package.sh [BUILD_DIR]        cpack -G DEB: three packages from the build as it is
#
# Components, one package each:
#   controller -> barrage         /usr/bin/barrage, barrage-controller.service,
#                                 /etc/barrage/controller.toml (conffile), examples
#   worker     -> barrage-worker  /usr/bin/barrage-worker, barrage-worker(@).service,
#                                 /etc/barrage/worker.toml (conffile)
#   script     -> barrage-script  /usr/share/barrage/barrage-script.jar: the JVM side of the
#                                 script host, found beside the binaries (../share/barrage);
#                                 Architecture all; only plans with script elements need it
#                                 (and Java), so the others only recommend it.
# Versions come from project(... VERSION): the packages' and both binaries' --version.
# Configuration and units go to /etc/barrage and /lib/systemd/system whatever the prefix;
# the units' /usr/local/ paths are rewritten to the prefix at install time.

install(TARGETS barrage RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT controller)
install(TARGETS barrage-worker RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT worker)
install(FILES config/controller.toml DESTINATION /etc/barrage COMPONENT controller)
install(FILES config/worker.toml DESTINATION /etc/barrage COMPONENT worker)
install(FILES README.md docs/operations.md docs/service.md docs/service-auth.md docs/webhooks.md docs/scripting.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/barrage COMPONENT controller)
install(FILES config/controller.toml config/worker.toml config/thresholds.example.toml examples/demo.jmx
              examples/users.csv
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/barrage/examples COMPONENT controller)
install(FILES docs/operations.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/barrage-worker COMPONENT worker)
install(FILES config/worker.toml DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/barrage-worker/examples COMPONENT worker)

# A unit with its /usr/local/ paths (ExecStart, Documentation) pointing at the install prefix.
function(barrage_install_unit unit component)
  install(CODE "
    file(READ \"${PROJECT_SOURCE_DIR}/systemd/${unit}\" _unit)
    string(REPLACE \"/usr/local/\" \"\${CMAKE_INSTALL_PREFIX}/\" _unit \"\${_unit}\")
    message(STATUS \"Installing: \$ENV{DESTDIR}/lib/systemd/system/${unit}\")
    file(WRITE \"\$ENV{DESTDIR}/lib/systemd/system/${unit}\" \"\${_unit}\")"
    COMPONENT ${component})
endfunction()
barrage_install_unit(barrage-controller.service controller)
barrage_install_unit(barrage-worker.service worker)
barrage_install_unit(barrage-worker@.service worker)

# Maintainer scripts (packaging/debian/*.in): the barrage user, units not enabled, purge.
function(barrage_maintainer_scripts package units running_units other out_var)
  set(dir ${PROJECT_BINARY_DIR}/packaging/${package})
  set(PACKAGE ${package})
  set(UNITS ${units})
  set(RUNNING_UNITS ${running_units})
  set(OTHER ${other})
  set(files)
  foreach(script postinst prerm postrm)
    configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/${script}.in ${dir}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                                    WORLD_EXECUTE)
    list(APPEND files ${dir}/${script})
  endforeach()
  configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/${package}/conffiles ${dir}/conffiles COPYONLY)
  list(APPEND files ${dir}/conffiles)
  set(${out_var} ${files} PARENT_SCOPE)
endfunction()
barrage_maintainer_scripts(barrage "barrage-controller.service" "barrage-controller.service" barrage-worker
                           _controller_control)
barrage_maintainer_scripts(barrage-worker "barrage-worker.service barrage-worker@.service"
                           "barrage-worker.service 'barrage-worker@*.service'" barrage _worker_control)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME barrage)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Barrage maintainers <barrage@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "distributed JMeter-compatible load tester")
# Install under DESTDIR with the packages' prefix, so that absolute destinations (/etc,
# /lib/systemd) land in the package and the units name /usr/bin.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL controller worker script)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The build is RelWithDebInfo: the packages ship stripped binaries (92 MB of debug info less).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/barrage")

set(CPACK_DEBIAN_CONTROLLER_PACKAGE_NAME barrage)
set(CPACK_COMPONENT_CONTROLLER_DESCRIPTION
    "distributed JMeter-compatible load tester: controller\n barrage runs JMeter .jmx plans locally or on barrage-worker daemons, stores\n the results and serves an HTTP API (barrage serve, barrage-controller.service).")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_RECOMMENDS "barrage-script (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_SUGGESTS "barrage-worker")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_CONTROL_EXTRA ${_controller_control})

set(CPACK_DEBIAN_WORKER_PACKAGE_NAME barrage-worker)
set(CPACK_COMPONENT_WORKER_DESCRIPTION
    "distributed JMeter-compatible load tester: worker\n barrage-worker is the load generator daemon that dials a Barrage controller\n (barrage-worker.service, barrage-worker@.service).")
set(CPACK_DEBIAN_WORKER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_WORKER_PACKAGE_RECOMMENDS "barrage-script (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_WORKER_PACKAGE_CONTROL_EXTRA ${_worker_control})

set(CPACK_DEBIAN_SCRIPT_PACKAGE_NAME barrage-script)
set(CPACK_DEBIAN_SCRIPT_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_SCRIPT_PACKAGE_SHLIBDEPS OFF)
set(CPACK_COMPONENT_SCRIPT_DESCRIPTION
    "distributed JMeter-compatible load tester: script host\n The JVM side of Barrage's JSR223, BeanShell and JEXL elements; the\n interpreters come from Debian's groovy, libbsh-java, librhino-java and\n libcommons-jexl packages.")
set(CPACK_DEBIAN_SCRIPT_PACKAGE_DEPENDS "openjdk-17-jre-headless | java17-runtime-headless")
set(CPACK_DEBIAN_SCRIPT_PACKAGE_RECOMMENDS
    "groovy, libbsh-java, librhino-java, libcommons-codec-java, libcommons-jexl2-java, libcommons-jexl3-java, libcommons-logging-java")
# cpack installs what is built: it must not build the whole tree (tests included) first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
include(CPack)
