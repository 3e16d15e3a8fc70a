# Extra CTest settings of the weights I/O room (included by tests/CMakeLists.txt).
# test_weights and test_interop run Debian's /usr/bin/python3 (python3-torch, python3-torchvision) to write
# real PyTorch files; they skip with a message where it lacks torch.
if(TEST test_weights)
  set_tests_properties(test_weights PROPERTIES TIMEOUT 300 LABELS "io")
endif()
if(TEST test_interop)
  set_tests_properties(test_interop PROPERTIES TIMEOUT 1500 LABELS "interop")
  # `ranklab-cli eval` of a torchvision resnet18 trained on 28×28 Fashion-MNIST (issue 16).
  target_compile_definitions(test_interop PRIVATE RANKLAB_CLI="$<TARGET_FILE:ranklab-cli>")
  add_dependencies(test_interop ranklab-cli)
endif()

# Desktop application (issue 7). Widget tests run offscreen; the screenshot test renders the real main
# window under Xvfb after a short real training job and keeps the PNG in the build dir as an artifact.
foreach(t test_ui_jobs test_ui_jobs_menu test_ui_workspace test_ui_main_window)
  if(TEST ${t})
    set_tests_properties(${t} PROPERTIES TIMEOUT 300 LABELS "gui")
  endif()
endforeach()
find_program(RANKLAB_XVFB_RUN xvfb-run)
if(RANKLAB_XVFB_RUN AND TARGET ranklab)
  set(RANKLAB_SCREENSHOT ${CMAKE_CURRENT_BINARY_DIR}/ranklab-screenshot.png)
  set(RANKLAB_SCREENSHOT_HOME ${CMAKE_CURRENT_BINARY_DIR}/screenshot-home)
  add_test(NAME ui_screenshot_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${RANKLAB_SCREENSHOT_HOME} ${RANKLAB_SCREENSHOT})
  set_tests_properties(ui_screenshot_clean PROPERTIES FIXTURES_SETUP ui_screenshot_home)
  add_test(NAME ui_screenshot
           COMMAND ${RANKLAB_XVFB_RUN} -a -s "-screen 0 1600x1000x24" $<TARGET_FILE:ranklab>
                   --workspace ${RANKLAB_SCREENSHOT_HOME}/workspace --screenshot ${RANKLAB_SCREENSHOT} --demo --tab training)
  set_tests_properties(ui_screenshot PROPERTIES
    FIXTURES_REQUIRED ui_screenshot_home TIMEOUT 600 LABELS "gui"
    ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=PASSIVE;XDG_CONFIG_HOME=${RANKLAB_SCREENSHOT_HOME}/config;XDG_DATA_HOME=${RANKLAB_SCREENSHOT_HOME}/data"
    ATTACHED_FILES ${RANKLAB_SCREENSHOT})
  # An unknown --tab is refused with one sentence.
  add_test(NAME ui_screenshot_bad_tab
           COMMAND ${RANKLAB_XVFB_RUN} -a -s "-screen 0 1600x1000x24" $<TARGET_FILE:ranklab>
                   --workspace ${RANKLAB_SCREENSHOT_HOME}/workspace --screenshot ${RANKLAB_SCREENSHOT_HOME}/bad-tab.png --tab nope)
  set_tests_properties(ui_screenshot_bad_tab PROPERTIES
    FIXTURES_REQUIRED ui_screenshot_home TIMEOUT 120 LABELS "gui"
    PASS_REGULAR_EXPRESSION "ranklab: error: --tab nope is not one of training, sensitivity, pareto, spectra, ron\\."
    ENVIRONMENT "XDG_CONFIG_HOME=${RANKLAB_SCREENSHOT_HOME}/config-bad-tab;XDG_DATA_HOME=${RANKLAB_SCREENSHOT_HOME}/data")
  add_test(NAME ui_version COMMAND $<TARGET_FILE:ranklab> --version)
  set_tests_properties(ui_version PROPERTIES PASS_REGULAR_EXPRESSION "^ranklab ${PROJECT_VERSION}\n$" LABELS "gui")
endif()

# A real one-node Slurm cluster (tests/slurm/local-cluster.sh, started and stopped by the test): the sweep's units
# through the Slurm executor. Skipped (77) only where slurm-wlm/munge are missing.
add_test(NAME slurm_executor COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/with-local-cluster.sh
         ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm_executor.sh $<TARGET_FILE:ranklab-cli>)
set_tests_properties(slurm_executor PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE)
# A unit killed by its time limit: mostly waiting for Slurm's one-minute granularity, so it runs beside other tests.
add_test(NAME slurm_time_limit COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/with-local-cluster.sh
         ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm_time_limit.sh $<TARGET_FILE:ranklab-cli>)
set_tests_properties(slurm_time_limit PROPERTIES LABELS slurm SKIP_RETURN_CODE 77 TIMEOUT 600)
# The desktop application against the same kind of cluster: Run on, the Jobs panel's unit rows, tabs filling in,
# cancel and resubmit (tests/slurm/test_ui_cluster.cpp, not globbed: it needs the cluster around it).
if(RANKLAB_BUILD_GUI)
  add_executable(test_ui_cluster slurm/test_ui_cluster.cpp)
  set_target_properties(test_ui_cluster PROPERTIES AUTOMOC ON)
  target_compile_definitions(test_ui_cluster PRIVATE RANKLAB_CLI="$<TARGET_FILE:ranklab-cli>")
  target_link_libraries(test_ui_cluster PRIVATE ranklab_ui ranklab_core Qt6::Test Qt6::Widgets)
  add_dependencies(test_ui_cluster ranklab-cli)
  add_test(NAME ui_cluster COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm/with-local-cluster.sh $<TARGET_FILE:test_ui_cluster>)
  set_tests_properties(ui_cluster PROPERTIES LABELS "slurm;gui" SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE
                       ENVIRONMENT "QT_QPA_PLATFORM=offscreen;OMP_NUM_THREADS=1;OMP_WAIT_POLICY=PASSIVE")
endif()
# The room order of core/ (HACKING.md): a file never includes a room above its own or a sibling room.
add_test(NAME rooms_include_order COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -P ${CMAKE_CURRENT_SOURCE_DIR}/check_rooms.cmake)
set_tests_properties(rooms_include_order PROPERTIES LABELS "fast")
