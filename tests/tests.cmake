# Extra CTest settings of the weights I/O room (included by tests/CMakeLists.txt).
# test_weights and test_interop run Debian's /usr/bin/python3 (python3-torch, python3-torchvision) to write
# real PyTorch files; they skip with a message where it lacks torch.
if(TEST test_weights)
  set_tests_properties(test_weights PROPERTIES TIMEOUT 300 LABELS "io")
endif()
if(TEST test_interop)
  set_tests_properties(test_interop PROPERTIES TIMEOUT 600 LABELS "interop")
endif()
