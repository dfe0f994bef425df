"""Flags for code built from lib/ with link-time optimisation (clang 19, gold).

libhardmem.so uses them for speed (malloc and free cross several files on
every call); the tests' *_os_lto variants use them to keep a second
optimiser's view of the core honest (tests/BUILD.bazel).  gold loads clang's
LLVMgold.so (llvm-19).  Sanitizers are off: an LTO build is the one users run.
"""

LTO_COPTS = [
    "-Ilib",
    "-fno-sanitize=all",
    "-flto",
]

LTO_LINKOPTS = [
    "-fno-sanitize=all",
    "-flto",
    "-fuse-ld=gold",
    "-lpthread",
]
