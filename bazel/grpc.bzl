"""gRPC C++ stubs from Debian's grpc_cpp_plugin."""

load("@rules_cc//cc:defs.bzl", "cc_library")

# Debian's protobuf-compiler-grpc; a system path like protoc itself.
_GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def _grpc_cpp_sources_impl(ctx):
    info = ctx.attr.proto[ProtoInfo]
    hdrs = []
    srcs = []
    for src in info.direct_sources:
        if not src.short_path.startswith(ctx.label.package + "/"):
            fail("%s is not under %s" % (src.short_path, ctx.label.package))
        stem = src.short_path[len(ctx.label.package) + 1:-len(".proto")]
        hdrs.append(ctx.actions.declare_file(stem + ".grpc.pb.h"))
        srcs.append(ctx.actions.declare_file(stem + ".grpc.pb.cc"))
    outs = hdrs + srcs

    args = ctx.actions.args()
    args.add("--plugin=protoc-gen-grpc=" + _GRPC_CPP_PLUGIN)
    args.add("--grpc_out=" + ctx.bin_dir.path)
    args.add_all(info.transitive_proto_path, format_each = "-I%s")
    args.add("-I.")
    args.add_all(info.direct_sources)

    ctx.actions.run(
        executable = ctx.executable._protoc,
        arguments = [args],
        inputs = info.transitive_sources,
        outputs = outs,
        mnemonic = "GrpcCppPlugin",
        progress_message = "Generating gRPC stubs for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outs)),
        OutputGroupInfo(headers = depset(hdrs), sources = depset(srcs)),
    ]

_grpc_cpp_sources = rule(
    implementation = _grpc_cpp_sources_impl,
    attrs = {
        "proto": attr.label(mandatory = True, providers = [ProtoInfo]),
        "_protoc": attr.label(
            default = "@com_google_protobuf//:protoc",
            executable = True,
            cfg = "exec",
        ),
    },
)

def cc_grpc_library(name, proto, cc_proto, visibility = None):
    """Service stubs for the services in `proto`, over its `cc_proto`."""
    _grpc_cpp_sources(name = name + "_srcs", proto = proto)
    native.filegroup(name = name + "_hdrs", srcs = [name + "_srcs"], output_group = "headers")
    native.filegroup(name = name + "_ccs", srcs = [name + "_srcs"], output_group = "sources")
    cc_library(
        name = name,
        srcs = [name + "_ccs"],
        hdrs = [name + "_hdrs"],
        deps = [cc_proto, "//bazel:grpc++"],
        visibility = visibility,
    )
