"""One libFuzzer target and its replay test."""

def fuzz_target(name, deps):
    """`name`.cc defines LLVMFuzzerTestOneInput.

    Makes:
      <name>_fuzzer: with --config=fuzz (clang), the libFuzzer binary;
        otherwise a replayer of the files or directories given as arguments.
      <name>_regression_test: replays corpus/<name>/ and regressions/<name>/
        (every past crasher), in every build configuration.
    """
    native.cc_library(
        name = name + "_target",
        testonly = True,
        srcs = [name + ".cc"],
        deps = deps + [":fuzz_support"],
        alwayslink = True,
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        deps = [":" + name + "_target"] + select({
            ":fuzzing": [],
            "//conditions:default": [":replay_main"],
        }),
        linkopts = select({
            ":fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )
    native.cc_test(
        name = name + "_regression_test",
        size = "small",
        srcs = [],
        deps = [
            ":" + name + "_target",
            ":replay_main",
        ],
        data = native.glob([
            "corpus/" + name + "/**",
            "regressions/" + name + "/**",
        ]),
        args = [
            "tests/fuzz/corpus/" + name,
            "tests/fuzz/regressions/" + name,
        ],
    )
