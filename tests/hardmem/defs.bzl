"""plain_binary: a program built outside the C++ toolchain's configuration.

Programs that are run with libhardmem.so preloaded must not carry a sanitizer
runtime (ASan/TSan own malloc and must come first), whatever --config the
build uses; --copt/--linkopt from .bazelrc cannot be overridden per target at
link time in Bazel 4.  So these programs are compiled by a genrule that calls
clang-19 (installed by ./bazelw) with fixed flags, the same under every
configuration.
"""

# The checked malloc's sources (the core's and its own), as filegroups so that
# a new file in lib/ or lib/hardmem/ needs no change here.
HARDMEM_C = ["//lib:c_srcs", "//lib/hardmem:c_srcs"]
HARDMEM_H = ["//lib:headers", "//lib/hardmem:headers"]

def plain_binary(name, srcs, copts = [], libs = [], cxx = False, with_hardmem = False):
    """A program compiled with clang-19 directly (see the module doc).

    with_hardmem links the checked malloc in (its sources are compiled into
    the program, as //lib/hardmem:malloc does).
    """
    extra_c = HARDMEM_C if with_hardmem else []
    all_srcs = srcs + extra_c + (HARDMEM_H if with_hardmem else [])
    compiled = [s for s in srcs if s.endswith(".c") or s.endswith(".cc")]
    compiler = "clang++-19" if cxx else "clang-19 -std=gnu11"
    native.genrule(
        name = name,
        srcs = all_srcs,
        outs = [name + ".bin"],
        cmd = " ".join([
            compiler,
            "-O0 -g -Wall -Wextra -Werror -fno-omit-frame-pointer",
            "-Ilib -Ilib/hardmem",
        ] + copts + [
            "-o $@",
        ] + ["$(location %s)" % s for s in compiled] +
              ["$(locations %s)" % s for s in extra_c] + libs + ["-lpthread"]),
        executable = True,
    )
