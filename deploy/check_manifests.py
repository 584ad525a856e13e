#!/usr/bin/env python3
"""Offline checks of deploy/: what kubectl cannot check without a cluster.

usage: check_manifests.py --binary PATH [--binary PATH...]
                          [--dockerfile FILE] [--entrypoint NAME] INPUT...

INPUT: a directory (every *.yaml under it; kustomization.yaml files are read
as kustomizations: what they list must exist, their configMapGenerator makes
ConfigMaps, the patches they list are fragments and not checked alone), a
file, or '-' for a rendered stream (kubectl kustomize DIR | ... -).

The settings a container may set are the "(env NAME)" names in its binary's
--helpfull (run here, in an empty environment so the defaults shown are the
binary's own).

Exit status 0 when every check holds, else 1 with one line per problem.
"""

import argparse
import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    sys.exit("check_manifests: needs PyYAML (Debian: python3-yaml, which ./dev installs)")

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
LONG_RUNNING_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# A container port of this name must be the port the binary listens on.
PORT_SETTINGS = {"grpc": "GRPC_PORT", "http": "HTTP_PORT", "metrics": "METRICS_PORT"}
# Runtime packages wanted although no binary links them.
# The allocators a build may link (//bazel/allocator) are installed whichever it is.
EXTRA_RUNTIME_PACKAGES = {"ca-certificates", "libtcmalloc-minimal4", "libjemalloc2"}
SECRET_VALUE = object()  # an env value that comes from a Secret


class Problems:
    def __init__(self):
        self.lines = []

    def add(self, where, message):
        self.lines.append(f"{where}: {message}")


# ------------------------------------------------------------------ binaries


class Binary:
    def __init__(self, name):
        self.name = name
        self.flags = set()
        self.settings = {}  # env name -> default (string)


def load_binary(path, problems):
    binary = Binary(os.path.basename(path))
    try:
        result = subprocess.run(
            [path, "--helpfull"], capture_output=True, text=True, timeout=60,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except OSError as error:
        problems.add(path, f"cannot run: {error}")
        return binary
    # Abseil wraps the help at 80 columns: one line per flag after this.
    text = " ".join((result.stdout + result.stderr).split())
    for chunk in re.split(r" (?=--[a-z][a-z0-9_]* \()", text):
        match = re.match(r"--([a-z][a-z0-9_]*) \((.*)\); default: (.*?);", chunk)
        if not match:
            continue
        flag, description, default = match.groups()
        binary.flags.add(flag)
        if len(default) >= 2 and default[0] == default[-1] == '"':
            default = default[1:-1]
        for env in re.findall(r"\benv ([A-Z][A-Z0-9_]*)", description):
            binary.settings[env] = default
    if not binary.settings:
        problems.add(path, "no '(env NAME)' setting in its --helpfull output")
    return binary


# ------------------------------------------------------------------ inputs


class Doc:
    def __init__(self, source, body):
        self.source = source
        self.body = body

    @property
    def kind(self):
        return self.body.get("kind", "")

    @property
    def name(self):
        return (self.body.get("metadata") or {}).get("name", "")

    def where(self):
        return f"{self.source}: {self.kind}/{self.name}"


def read_env_file(path):
    data = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                data[key] = value
    return data


def load_kustomization(path, problems, state):
    with open(path) as f:
        body = yaml.safe_load(f) or {}
    base = os.path.dirname(path)
    state["kustomizations"].append((path, body))

    def must_exist(entry, what):
        target = os.path.normpath(os.path.join(base, entry))
        if not os.path.exists(target):
            problems.add(path, f"{what} {entry} does not exist")
        return target

    for entry in body.get("resources") or []:
        must_exist(entry, "resource")
    for entry in body.get("components") or []:
        must_exist(entry, "component")
    for patch in body.get("patches") or []:
        if "path" in patch:
            state["skip"].add(must_exist(patch["path"], "patch"))
    for entry in body.get("patchesStrategicMerge") or []:
        state["skip"].add(must_exist(entry, "patch"))
    for generator in body.get("configMapGenerator") or []:
        data = {}
        for entry in generator.get("envs") or []:
            target = must_exist(entry, "env file")
            if os.path.exists(target):
                data.update(read_env_file(target))
        for literal in generator.get("literals") or []:
            key, _, value = literal.partition("=")
            data[key] = value
        state["docs"].append(Doc(f"{path} (configMapGenerator)", {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": generator.get("name", "")}, "data": data}))


def load_stream(stream, source, problems, state):
    try:
        for body in yaml.safe_load_all(stream):
            if body is None:
                continue
            if not isinstance(body, dict):
                problems.add(source, "a document that is not a mapping")
                continue
            state["docs"].append(Doc(source, body))
    except yaml.YAMLError as error:
        problems.add(source, f"invalid YAML: {error}")


def load_inputs(inputs, problems):
    state = {"docs": [], "kustomizations": [], "skip": set()}
    files = []
    for entry in inputs:
        if entry == "-":
            load_stream(sys.stdin, "<stdin>", problems, state)
        elif os.path.isdir(entry):
            for root, dirs, names in os.walk(entry):
                dirs.sort()
                for name in sorted(names):
                    if name.endswith((".yaml", ".yml")):
                        files.append(os.path.normpath(os.path.join(root, name)))
        elif os.path.isfile(entry):
            files.append(os.path.normpath(entry))
        else:
            problems.add(entry, "no such file or directory")
    for path in files:
        if os.path.basename(path) in ("kustomization.yaml", "kustomization.yml"):
            load_kustomization(path, problems, state)
    for path in files:
        if os.path.basename(path).startswith("kustomization.") or path in state["skip"]:
            continue
        with open(path) as f:
            load_stream(f, path, problems, state)
    return state


# ------------------------------------------------------------------ helpers


def pod_template(doc):
    spec = doc.body.get("spec") or {}
    if doc.kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def image_repository(image):
    image = image.split("@", 1)[0]
    head, _, tail = image.rpartition(":")
    return head if head and "/" not in tail else image


def as_int(value):
    try:
        return int(str(value))
    except ValueError:
        return None


def pre_stop_seconds(container):
    pre_stop = ((container.get("lifecycle") or {}).get("preStop")) or {}
    if "sleep" in pre_stop:
        return as_int(pre_stop["sleep"].get("seconds")) or 0
    command = ((pre_stop.get("exec") or {}).get("command")) or []
    if len(command) == 2 and os.path.basename(command[0]) == "sleep":
        return as_int(command[1]) or 0
    return 0


class Index:
    def __init__(self, docs):
        self.config_maps = {}
        self.secrets = {}
        self.workloads = []
        for doc in docs:
            if doc.kind == "ConfigMap":
                keys = dict(doc.body.get("data") or {})
                keys.update({k: None for k in doc.body.get("binaryData") or {}})
                self.config_maps[doc.name] = keys
            elif doc.kind == "Secret":
                keys = {k: SECRET_VALUE for k in doc.body.get("data") or {}}
                keys.update({k: SECRET_VALUE for k in doc.body.get("stringData") or {}})
                self.secrets[doc.name] = keys
            elif doc.kind in WORKLOAD_KINDS:
                self.workloads.append(doc)

    def source(self, ref, config_map):
        """The keys of the ConfigMap / Secret `ref` names, or None."""
        table = self.config_maps if config_map else self.secrets
        return table.get(ref.get("name"))


# ------------------------------------------------------------------ checks


def check_basics(doc, problems):
    for field in ("apiVersion", "kind"):
        if not doc.body.get(field):
            problems.add(doc.where(), f"no {field}")
    if not doc.name:
        problems.add(doc.where(), "no metadata.name")


def check_config_data(doc, binaries, problems):
    for field in ("data", "stringData"):
        for key, value in (doc.body.get(field) or {}).items():
            if doc.kind == "ConfigMap" and not isinstance(value, str):
                problems.add(doc.where(), f"{field}.{key} is {type(value).__name__}, "
                             "not a string (quote it)")
            if not any(key in b.settings for b in binaries.values()):
                problems.add(doc.where(), f"key {key} is not a setting of any binary "
                             f"({', '.join(sorted(binaries))})")


def container_env(container, binary, index, where, problems):
    """Checks env/envFrom; returns the effective env (envFrom, then env)."""
    env = {}
    for source in container.get("envFrom") or []:
        for field, is_map in (("configMapRef", True), ("secretRef", False)):
            ref = source.get(field)
            if ref is None:
                continue
            keys = index.source(ref, is_map)
            if keys is None:
                if not ref.get("optional"):
                    problems.add(where, f"envFrom {field} {ref.get('name')} does not exist")
                continue
            prefix = source.get("prefix", "")
            for key, value in keys.items():
                name = prefix + key
                if name not in binary.settings:
                    problems.add(where, f"envFrom {ref.get('name')}: {name} is not a setting "
                                 f"of {binary.name}")
                env[name] = value
    for entry in container.get("env") or []:
        name = entry.get("name", "")
        if name not in binary.settings:
            problems.add(where, f"env {name} is not a setting of {binary.name}")
        if "value" in entry or "valueFrom" not in entry:
            env[name] = str(entry.get("value", ""))
            continue
        value_from = entry["valueFrom"]
        for field, is_map in (("configMapKeyRef", True), ("secretKeyRef", False)):
            ref = value_from.get(field)
            if ref is None:
                continue
            keys = index.source(ref, is_map)
            kind = "ConfigMap" if is_map else "Secret"
            if keys is None:
                if not ref.get("optional"):
                    problems.add(where, f"env {name}: {kind} {ref.get('name')} does not exist")
            elif ref.get("key") not in keys:
                if not ref.get("optional"):
                    problems.add(where, f"env {name}: {kind} {ref.get('name')} has no key "
                                 f"{ref.get('key')}")
            else:
                env[name] = keys[ref.get("key")]
    return env


def setting(env, binary, name):
    """The effective value of setting `name` (env, else the binary's default)."""
    value = env.get(name, binary.settings.get(name))
    return None if value is SECRET_VALUE else value


def check_security(pod_spec, container, where, problems):
    pod = pod_spec.get("securityContext") or {}
    own = container.get("securityContext") or {}
    merged = dict(pod)
    merged.update(own)
    if merged.get("runAsNonRoot") is not True:
        problems.add(where, "securityContext.runAsNonRoot is not true")
    if merged.get("runAsUser") == 0:
        problems.add(where, "securityContext.runAsUser is 0")
    if own.get("allowPrivilegeEscalation") is not False:
        problems.add(where, "securityContext.allowPrivilegeEscalation is not false")
    if own.get("readOnlyRootFilesystem") is not True:
        problems.add(where, "securityContext.readOnlyRootFilesystem is not true")
    if own.get("privileged"):
        problems.add(where, "securityContext.privileged")
    if "ALL" not in (((own.get("capabilities") or {}).get("drop")) or []):
        problems.add(where, "securityContext.capabilities.drop lacks ALL")


# Settings a container serving the API must take from a Secret it cannot
# start without: unset, that replica refuses what the setting enables.
# PARTNER_TOKEN_SECRET: else no partner token is issued, and a key that differs
# between replicas makes a token work only on the pod that issued it.
REQUIRED_API_SECRETS = ("PARTNER_TOKEN_SECRET",)


def check_required_secrets(container, binary, env, where, problems):
    if setting(env, binary, "ROLE") == "dispatcher":
        return
    refs = {}
    for entry in container.get("env") or []:
        ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
        if ref is not None:
            refs[entry.get("name")] = ref
    for name in REQUIRED_API_SECRETS:
        if name not in binary.settings:
            continue
        ref = refs.get(name)
        if ref is None:
            problems.add(where, f"serves the API but takes {name} from no Secret")
        elif ref.get("optional"):
            problems.add(where, f"serves the API but its Secret key {name} is optional")


def check_container(doc, pod_spec, container, ctx, long_running):
    problems, binaries, index = ctx["problems"], ctx["binaries"], ctx["index"]
    where = f"{doc.where()} container {container.get('name')}"
    image = container.get("image")
    if not image:
        problems.add(where, "no image")
    else:
        ctx["images"].setdefault(image, []).append(where)

    command = container.get("command") or []
    binary_name = os.path.basename(command[0]) if command else ctx["entrypoint"]
    binary = binaries.get(binary_name)
    if binary is None:
        problems.add(where, f"runs {binary_name}, not one of the binaries checked "
                     f"({', '.join(sorted(binaries))})")
        return
    for arg in list(command[1:]) + list(container.get("args") or []):
        if arg.startswith("--"):
            flag = arg[2:].split("=", 1)[0]
            if flag not in binary.flags and not (flag.startswith("no") and flag[2:] in binary.flags):
                problems.add(where, f"argument {arg}: {binary.name} has no flag --{flag}")
    env = container_env(container, binary, index, where, problems)
    check_required_secrets(container, binary, env, where, problems)

    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(part) or {}):
                problems.add(where, f"no resources.{part}.{resource}")
    check_security(pod_spec, container, where, problems)

    ports = container.get("ports") or []
    names = {p.get("name"): p.get("containerPort") for p in ports if p.get("name")}
    numbers = {p.get("containerPort") for p in ports}
    for port in ports:
        setting_name = PORT_SETTINGS.get(port.get("name"))
        if setting_name and setting_name in binary.settings:
            value = setting(env, binary, setting_name)
            if as_int(value) != port.get("containerPort"):
                problems.add(where, f"port {port.get('name')} is containerPort "
                             f"{port.get('containerPort')} but {setting_name} is {value}")
    probes = ("startupProbe", "livenessProbe", "readinessProbe")
    if long_running:
        for required in ("livenessProbe", "readinessProbe"):
            if required not in container:
                problems.add(where, f"no {required}")
    for probe_name in probes:
        probe = container.get(probe_name) or {}
        for handler in ("httpGet", "tcpSocket", "grpc"):
            if handler not in probe:
                continue
            port = probe[handler].get("port")
            if isinstance(port, str) and port not in names:
                problems.add(where, f"{probe_name} uses port {port}: no port named {port}")
            elif isinstance(port, int) and port not in numbers:
                problems.add(where, f"{probe_name} uses port {port}: no such containerPort")
    mounts = {m.get("name") for m in container.get("volumeMounts") or []}
    volumes = {v.get("name") for v in pod_spec.get("volumes") or []}
    for missing in sorted(mounts - volumes):
        problems.add(where, f"volumeMount {missing} has no volume")

    # Time this container needs after the pod is told to stop.
    budget = pre_stop_seconds(container) * 1000
    for name in ("SHUTDOWN_DRAIN_DELAY_MS", "SHUTDOWN_GRACE_MS"):
        if name in binary.settings:
            value = as_int(setting(env, binary, name))
            if value is None:
                problems.add(where, f"{name} is not a number")
            else:
                budget += value
    return budget


def check_workload(doc, ctx):
    problems = ctx["problems"]
    template = pod_template(doc)
    labels = ((template.get("metadata") or {}).get("labels")) or {}
    annotations = ((template.get("metadata") or {}).get("annotations")) or {}
    pod_spec = template.get("spec") or {}
    long_running = doc.kind in LONG_RUNNING_KINDS
    if doc.kind in ("Deployment", "StatefulSet", "DaemonSet"):
        selector = (((doc.body.get("spec") or {}).get("selector")) or {}).get("matchLabels")
        if not labels_match(selector, labels):
            problems.add(doc.where(), f"selector {selector} does not match the pod labels {labels}")
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        selector = ((constraint.get("labelSelector")) or {}).get("matchLabels")
        if not labels_match(selector, labels):
            problems.add(doc.where(), f"topologySpreadConstraint selector {selector} does not "
                         "match the pod's own labels")
    containers = pod_spec.get("containers") or []
    if not containers:
        problems.add(doc.where(), "no containers")
    budget = 0
    for container in containers:
        budget = max(budget, check_container(doc, pod_spec, container, ctx, long_running) or 0)
    for container in pod_spec.get("initContainers") or []:
        check_container(doc, pod_spec, container, ctx, False)
    if long_running:
        grace = pod_spec.get("terminationGracePeriodSeconds", 30)
        if as_int(grace) is None or as_int(grace) * 1000 <= budget:
            problems.add(doc.where(), f"terminationGracePeriodSeconds {grace} s does not exceed "
                         f"preStop + SHUTDOWN_DRAIN_DELAY_MS + SHUTDOWN_GRACE_MS = {budget} ms")
    ports = {p.get("containerPort"): p.get("name")
             for c in containers for p in c.get("ports") or []}
    metrics = [number for number, name in ports.items() if name == "metrics"]
    if metrics and annotations.get("prometheus.io/scrape") != "true":
        problems.add(doc.where(), "a metrics port but no prometheus.io/scrape: \"true\"")
    if "prometheus.io/port" in annotations or metrics:
        port = as_int(annotations.get("prometheus.io/port", ""))
        if port not in ports or (metrics and port not in metrics):
            problems.add(doc.where(), f"prometheus.io/port {annotations.get('prometheus.io/port')} "
                         f"is not the metrics containerPort {metrics}")
    uid = (pod_spec.get("securityContext") or {}).get("runAsUser")
    if uid is not None:
        ctx["uids"].setdefault(uid, []).append(doc.where())


def selected(selector, ctx, doc, what):
    """The long-running workloads whose pods `selector` selects; exactly one."""
    found = [w for w in ctx["index"].workloads if w.kind in LONG_RUNNING_KINDS
             and labels_match(selector, ((pod_template(w).get("metadata") or {}).get("labels")) or {})]
    if not found:
        ctx["problems"].add(doc.where(), f"{what} {selector} selects no pod of any workload")
    elif len(found) > 1:
        ctx["problems"].add(doc.where(), f"{what} {selector} selects pods of several workloads: "
                            + ", ".join(f"{w.kind}/{w.name}" for w in found))
    return found


def check_service(doc, ctx):
    spec = doc.body.get("spec") or {}
    for workload in selected(spec.get("selector"), ctx, doc, "selector"):
        containers = (pod_template(workload).get("spec") or {}).get("containers") or []
        ports = [p for c in containers for p in c.get("ports") or []]
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str):
                ok = any(p.get("name") == target for p in ports)
            else:
                ok = any(p.get("containerPort") == target for p in ports)
            if not ok:
                ctx["problems"].add(doc.where(), f"port {port.get('name')}: targetPort {target} "
                                    f"is no container port of {workload.kind}/{workload.name}")


def check_pdb(doc, ctx):
    spec = doc.body.get("spec") or {}
    selected(((spec.get("selector")) or {}).get("matchLabels"), ctx, doc, "selector")
    if ("minAvailable" in spec) == ("maxUnavailable" in spec):
        ctx["problems"].add(doc.where(), "set exactly one of minAvailable and maxUnavailable")


def check_hpa(doc, ctx):
    problems = ctx["problems"]
    spec = doc.body.get("spec") or {}
    if doc.body.get("apiVersion") != "autoscaling/v2":
        problems.add(doc.where(), f"apiVersion {doc.body.get('apiVersion')}, not autoscaling/v2")
    ref = spec.get("scaleTargetRef") or {}
    targets = [w for w in ctx["index"].workloads
               if w.kind == ref.get("kind") and w.name == ref.get("name")]
    if not targets:
        problems.add(doc.where(), f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} does not exist")
        return
    target = targets[0]
    if "replicas" in (target.body.get("spec") or {}):
        problems.add(doc.where(), f"{target.kind}/{target.name} sets spec.replicas: every apply "
                     "would undo the autoscaler")
    if (as_int(spec.get("minReplicas", 1)) or 0) > (as_int(spec.get("maxReplicas")) or 0):
        problems.add(doc.where(), "minReplicas > maxReplicas")
    containers = (pod_template(target).get("spec") or {}).get("containers") or []
    for metric in spec.get("metrics") or []:
        resource = (metric.get("resource") or {}).get("name")
        for container in containers if metric.get("type") == "Resource" else []:
            if resource not in ((container.get("resources") or {}).get("requests") or {}):
                problems.add(doc.where(), f"scales on {resource} but container "
                             f"{container.get('name')} requests none")


# ------------------------------------------------------------------ Dockerfile


def dockerfile_stages(path):
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        elif stages:
            stages[-1].append((instruction.upper(), rest.strip()))
    return stages


def apt_packages(run):
    packages = []
    for segment in re.split(r"&&|;", run):
        words = segment.split()
        if "apt-get" in words and "install" in words:
            packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def library_packages(binary_paths, problems):
    """{package: [(binary, library)]} for the libraries the binaries load directly."""
    wanted = {}
    for path in binary_paths:
        try:
            dynamic = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                                     check=True).stdout
            resolved = subprocess.run(["ldd", path], capture_output=True, text=True,
                                      check=True).stdout
        except (OSError, subprocess.CalledProcessError) as error:
            problems.add(path, f"readelf/ldd failed: {error}")
            continue
        paths = {}
        for line in resolved.splitlines():
            match = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+) ", line)
            if match:
                paths[os.path.basename(match.group(1))] = match.groups()[-1]
        for library in re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic):
            # Sanitizer runtimes: the binaries of ./dev test --config=asan/tsan,
            # never of the image (bazel build -c opt).
            if re.match(r"lib(a|ub|t|l)san\.so", library):
                continue
            if library not in paths:
                problems.add(path, f"ldd does not resolve {library}")
                continue
            wanted.setdefault(paths[library], []).append((os.path.basename(path), library))
    # dpkg knows each file under one name: /lib or /usr/lib (merged /usr),
    # the symlink or its target. One dpkg -S for all the names.
    candidates = {}
    for file in wanted:
        names = [file, os.path.realpath(file)]
        names += [n[4:] if n.startswith("/usr/") else "/usr" + n for n in list(names)]
        for name in names:
            candidates.setdefault(name, file)
    result = subprocess.run(["dpkg", "-S"] + sorted(candidates), capture_output=True, text=True)
    owners = {}
    for line in result.stdout.splitlines():
        package, _, name = line.partition(": ")
        if name in candidates and not line.startswith("diversion"):
            owners[candidates[name]] = package.split(",")[0].split(":")[0].strip()
    for file in wanted:
        if file not in owners:
            problems.add(file, "no Debian package owns it (dpkg -S)")
    packages = {}
    for file, users in wanted.items():
        if file in owners:
            packages.setdefault(owners[file], []).extend(users)
    return packages


def check_dockerfile(path, ctx, binary_paths):
    problems = ctx["problems"]
    stages = dockerfile_stages(path)
    if len(stages) < 2:
        problems.add(path, "expected a multi-stage build (builder, runtime)")
        return
    runtime = stages[-1]
    entry = [rest for instruction, rest in runtime if instruction == "ENTRYPOINT"]
    try:
        entrypoint = yaml.safe_load(entry[-1]) if entry else None
    except yaml.YAMLError:
        entrypoint = None
    if not isinstance(entrypoint, list) or os.path.basename(entrypoint[0]) != ctx["entrypoint"]:
        problems.add(path, f"runtime ENTRYPOINT is not [\"{ctx['entrypoint']}\"] (exec form)")
    users = [rest.split(":", 1)[0] for instruction, rest in runtime if instruction == "USER"]
    uid = as_int(users[-1]) if users else None
    if uid is None or uid == 0:
        problems.add(path, "runtime USER must be a numeric non-root uid "
                     "(runAsNonRoot cannot verify a name)")
    for other, where in ctx["uids"].items():
        if uid is not None and other != uid:
            problems.add(where[0], f"runAsUser {other} but the image's USER is {uid}")
    exposed = {as_int(p.split("/")[0]) for i, rest in runtime if i == "EXPOSE" for p in rest.split()}
    for doc in ctx["index"].workloads:
        for container in (pod_template(doc).get("spec") or {}).get("containers") or []:
            for port in container.get("ports") or []:
                if port.get("containerPort") not in exposed:
                    problems.add(path, f"EXPOSE lacks {port.get('containerPort')} "
                                 f"({doc.kind}/{doc.name} container {container.get('name')})")
    installed = []
    for instruction, rest in runtime:
        if instruction == "RUN":
            installed += apt_packages(rest)
    needed = library_packages(binary_paths, problems)
    for package, users in sorted(needed.items()):
        if package not in installed:
            libraries = sorted({f"{b}: {l}" for b, l in users})
            problems.add(path, f"runtime stage does not install {package} "
                         f"({', '.join(libraries[:3])}{', ...' if len(libraries) > 3 else ''})")
    for package in installed:
        if package not in needed and package not in EXTRA_RUNTIME_PACKAGES:
            problems.add(path, f"runtime stage installs {package}, which no binary loads")
    ctx["runtime_packages"] = sorted(needed)


# ------------------------------------------------------------------ main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", action="append", required=True,
                        help="a binary whose --helpfull lists the settings (repeat)")
    parser.add_argument("--dockerfile", help="also check this Dockerfile")
    parser.add_argument("--entrypoint", default="affonso_server",
                        help="the image's ENTRYPOINT: what containers without command run")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()

    problems = Problems()
    binaries = {}
    for path in args.binary:
        binary = load_binary(path, problems)
        binaries[binary.name] = binary
    state = load_inputs(args.inputs, problems)
    index = Index(state["docs"])
    ctx = {"problems": problems, "binaries": binaries, "index": index, "images": {},
           "uids": {}, "entrypoint": args.entrypoint}

    counts = {}
    for doc in state["docs"]:
        counts[doc.kind] = counts.get(doc.kind, 0) + 1
        check_basics(doc, problems)
        if doc.kind in ("ConfigMap", "Secret"):
            check_config_data(doc, binaries, problems)
        elif doc.kind in WORKLOAD_KINDS:
            check_workload(doc, ctx)
        elif doc.kind == "Service":
            check_service(doc, ctx)
        elif doc.kind == "PodDisruptionBudget":
            check_pdb(doc, ctx)
        elif doc.kind == "HorizontalPodAutoscaler":
            check_hpa(doc, ctx)
    if len(ctx["images"]) > 1:
        problems.add("images", "containers' images differ: " + "; ".join(
            f"{image} ({len(where)} containers, e.g. {where[0]})"
            for image, where in sorted(ctx["images"].items())))
    repositories = {image_repository(image) for image in ctx["images"]}
    for path, body in state["kustomizations"]:
        for entry in body.get("images") or []:
            if entry.get("name") not in repositories:
                problems.add(path, f"images: {entry.get('name')} is no container's image "
                             f"({', '.join(sorted(repositories))})")
    if args.dockerfile:
        check_dockerfile(args.dockerfile, ctx, args.binary)

    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    if args.dockerfile and "runtime_packages" in ctx:
        print(f"check_manifests: runtime libraries come from {' '.join(ctx['runtime_packages'])}")
    for line in problems.lines:
        print(f"check_manifests: {line}")
    print(f"check_manifests: {len(state['docs'])} documents ({summary or 'none'}): "
          + (f"{len(problems.lines)} problems" if problems.lines else "OK"))
    return 1 if problems.lines else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a bug here, not a finding: not the 1 of a failed check
        import traceback
        traceback.print_exc()
        sys.exit(2)
