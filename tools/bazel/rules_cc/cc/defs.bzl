"""Stand-in for @rules_cc//cc:defs.bzl, for offline Bazel 4.2.3.

Why this exists: Bazel 4.2.3's built-in packages (@bazel_tools//tools/cpp, //tools/jdk, ...)
`load("@rules_cc//cc:defs.bzl", ...)`, and without this stub Bazel tries to download
rules_cc, which fails offline. Debian's bazel-rules-cc is too new for 4.2.3.
In Bazel 4 the C/C++ rules are native, so each symbol simply forwards to `native`.
Project BUILD files may load from here too; with a newer Bazel the real rules_cc
offers the same names.
"""

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)

def fdo_prefetch_hints(**attrs):
    native.fdo_prefetch_hints(**attrs)

def fdo_profile(**attrs):
    native.fdo_profile(**attrs)

def objc_import(**attrs):
    native.objc_import(**attrs)

def objc_library(**attrs):
    native.objc_library(**attrs)
