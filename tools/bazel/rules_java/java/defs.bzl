"""Stand-in for @rules_java//java:defs.bzl, for offline Bazel 4.2.3.

Why this exists: even a C-only build makes Bazel 4.2.3 evaluate @bazel_tools//tools/jdk,
whose BUILD file does `load("@rules_java//java:defs.bzl", "java_import", "java_runtime",
"java_toolchain")` (and tools/j2objc loads java_binary). Without this stub Bazel tries to
download rules_java, which fails offline. The Java rules are native in Bazel 4, so each
symbol forwards to `native`. hardmem has no Java code.
"""

def java_binary(**attrs):
    native.java_binary(**attrs)

def java_import(**attrs):
    native.java_import(**attrs)

def java_runtime(**attrs):
    native.java_runtime(**attrs)

def java_toolchain(**attrs):
    native.java_toolchain(**attrs)
