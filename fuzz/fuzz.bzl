"""hardmem_fuzz_test: one fuzz target, three rules, named as rules_fuzzing names them.

    hardmem_fuzz_test(name = "ops_fuzz", srcs = ["ops_fuzz.c"], deps = [...])

defines
    NAME       cc_test: replays every file of corpus/NAME/ through fuzz/replay_main.c
               (no libFuzzer needed: runs under plain `bazel test` and asan/ubsan);
    NAME_bin   the fuzzing binary: libFuzzer's main under --config=fuzz (through the
               //tools/bazel:fuzz config_setting), the replay main otherwise;
    NAME_run   a launcher: `./bazelw run --config=fuzz //fuzz:NAME_run -- [libFuzzer flags]`
               fuzzes into a scratch corpus seeded from corpus/NAME/ with NAME.dict and
               NAME.options when they exist (tools/fuzz-campaign runs them all).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def hardmem_fuzz_test(name, srcs, deps = [], dict = None, options = None, size = "small", **kwargs):
    corpus = "//corpus:" + name
    cc_test(
        name = name,
        size = size,
        srcs = srcs + ["//fuzz:replay_main.c"],
        args = ["corpus/" + name],
        data = [corpus],
        deps = deps,
        **kwargs
    )
    cc_binary(
        name = name + "_bin",
        testonly = True,
        srcs = srcs + select({
            "//tools/bazel:fuzz": [],
            "//conditions:default": ["//fuzz:replay_main.c"],
        }),
        linkopts = select({
            "//tools/bazel:fuzz": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = deps,
        **kwargs
    )
    extra = [f for f in [dict, options] if f]
    native.sh_binary(
        name = name + "_run",
        testonly = True,
        srcs = ["//fuzz:run.sh"],
        args = ["$(location :%s_bin)" % name, name] + ["$(location %s)" % f for f in extra],
        data = [":" + name + "_bin", corpus] + extra,
    )
