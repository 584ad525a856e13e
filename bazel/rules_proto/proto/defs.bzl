"""Offline shim: Bazel 4's native proto rules under the rules_proto names."""

proto_library = native.proto_library
proto_lang_toolchain = native.proto_lang_toolchain
ProtoInfo = ProtoInfo
