#!/usr/bin/python3
"""ctest k8s_manifests (label deploy): the Kubernetes manifests of deploy/kubernetes/, offline.

Usage (from the repository's root; ctest passes both):
  /usr/bin/python3 tests/package/k8s_manifests_test.py --worker BUILD/worker/barrage-worker [--source-dir .]

What it checks (deploy/kubernetes/README.md, "What was validated", says the same):
1. Schema. Every object of every manifest against the model classes of Debian's
   python3-kubernetes (22.6.0, the Kubernetes 1.22 API): each field must be one of the model's
   `attribute_map`, each value of its `openapi_types` type (recursively: objects, lists, maps,
   str, int, bool; IntOrString takes an int or a string; a quantity must be a string), and the
   model constructors enforce the required fields. An unknown field is an error.
2. Semantics the schema cannot see: the names the pods use exist (ConfigMap and its keys, the
   Secret and its keys, volumes, $(VAR) in args), labels and selectors match, the Job is
   Indexed with parallelism = completions, anti-affinity on kubernetes.io/hostname, the
   security context (non-root, read-only root, no privilege escalation, ALL capabilities
   dropped, seccomp RuntimeDefault), requests <= limits, worker.toml's threads = the CPU
   limit, the grace period covers the worker's own shutdown deadline (worker/daemon.cc), the
   Job's pod template is the Deployment's, image and Dockerfile agree (version, user, path).
3. The real binary. The pod's volumes are laid out in a temporary folder as the kubelet
   would (the Secret's files 0440 under fsGroup), the init container's command is run on
   them, and `barrage-worker --check-config` runs with the container's own args on the
   ConfigMap's worker.toml; its flags must be in `barrage-worker --help`.
4. Negative cases: copies broken on purpose (an unknown field, a wrong type, a missing
   required field, a selector mismatch, ...) must be rejected with the expected message.

Nothing here talks to a cluster: what a real API server, admission and the kubelet would do
beyond this is not tested.
"""

import argparse
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest

try:
    import yaml
    from kubernetes.client import models as k8s_models
    from kubernetes.utils import parse_quantity
except ImportError as e:
    print(
        f"k8s_manifests_test: {e}: this test needs Debian's python3-yaml and python3-kubernetes "
        f"for {sys.executable} (scripts/setup.sh installs them: apt-get install python3-yaml python3-kubernetes)",
        file=sys.stderr,
    )
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

MANIFEST_DIR = "deploy/kubernetes"
MANIFEST_FILES = ["configmap.yaml", "secret.example.yaml", "deployment.yaml", "job.yaml"]
KINDS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "Job"): "V1Job",
}
WORKER_CONTAINER = "barrage-worker"
WORKER_BINARY = "/usr/bin/barrage-worker"  # where the barrage-worker .deb installs it
HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"
# What the Job controller puts on each pod: its Job's name (label) and its index (annotation).
JOB_NAME_FIELD = "metadata.labels['job-name']"
JOB_INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
# worker.toml keys holding paths in the container, and whether the worker writes there.
TOML_PATH_KEYS = {
    ("work_dir",): True,
    ("spool", "directory"): True,
    ("security", "secret_key_file"): False,
    ("security", "controller_public_key"): False,
}

_LIST = re.compile(r"^list\[(.*)\]$")
_DICT = re.compile(r"^dict\(([^,]+), (.*)\)$")


# --- 1. schema -------------------------------------------------------------------------


def _join(path, key):
    return f"{path}.{key}" if path else key


def _describe(value):
    if value is None:
        return "null"
    return f"{type(value).__name__} {json.dumps(value)[:40]}"


def _build(value, type_name, path, errors):
    """Returns `value` as the client's `type_name` (a model instance for a model type), appending
    to `errors` every field that is unknown, of the wrong type or missing when required."""
    m = _LIST.match(type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {_describe(value)}")
            return None
        return [_build(v, m.group(1), f"{path}[{i}]", errors) for i, v in enumerate(value)]
    m = _DICT.match(type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {_describe(value)}")
            return None
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                errors.append(f"{path}: key {_describe(k)}: expected a string key")
                continue
            out[k] = _build(v, m.group(2), _join(path, k), errors)
        return out
    scalar = {
        "str": lambda v: isinstance(v, str),
        "datetime": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        # IntOrString (maxSurge, probe ports): the only `object` fields of these kinds.
        "object": lambda v: isinstance(v, (int, str)) and not isinstance(v, bool),
    }
    if type_name in scalar:
        if not scalar[type_name](value):
            expected = "int or string" if type_name == "object" else type_name
            errors.append(f"{path}: expected {expected}, got {_describe(value)}")
            return None
        return value
    cls = getattr(k8s_models, type_name)
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object ({type_name}), got {_describe(value)}")
        return None
    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    kwargs = {}
    for key, v in value.items():
        attr = by_json.get(key)
        if attr is None:
            errors.append(f"{_join(path, key)}: unknown field (not in {type_name})")
            continue
        kwargs[attr] = _build(v, cls.openapi_types[attr], _join(path, key), errors)
    try:
        return cls(**kwargs)
    except ValueError as e:  # a required field is missing, or a value the model refuses
        errors.append(f"{path or '(top)'}: {type_name}: {e}")
        return None


def schema_errors(doc):
    """Errors of one manifest object against the python3-kubernetes models (empty: valid)."""
    if not isinstance(doc, dict):
        return [f"expected an object, got {_describe(doc)}"]
    type_name = KINDS.get((doc.get("apiVersion"), doc.get("kind")))
    if type_name is None:
        return [f"apiVersion {doc.get('apiVersion')!r} kind {doc.get('kind')!r}: not one of {sorted(KINDS)}"]
    errors = []
    _build(doc, type_name, "", errors)
    return errors


# --- loading -----------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; the API server refuses them."""


def _mapping_without_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def load_manifests(directory):
    """{(kind, name): (file, doc)} of every manifest file, and the errors met (YAML, schema)."""
    objects, errors = {}, []
    for name in MANIFEST_FILES:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.load_all(f, Loader=_StrictLoader) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            errors.append(f"{path}: {e}")
            continue
        if not docs:
            errors.append(f"{path}: no object")
        for doc in docs:
            errors += [f"{path}: {e}" for e in schema_errors(doc)]
            if isinstance(doc, dict):
                key = (doc.get("kind"), (doc.get("metadata") or {}).get("name"))
                if key in objects:
                    errors.append(f"{path}: {key[0]}/{key[1]} defined twice")
                objects[key] = (path, doc)
    return objects, errors


def project_version(source_dir):
    with open(os.path.join(source_dir, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(barrage VERSION ([0-9.]+)", f.read()).group(1)


def worker_shutdown_deadline_s(source_dir):
    """The worker's own bound on a graceful stop after SIGTERM (worker/daemon.cc)."""
    with open(os.path.join(source_dir, "worker/daemon.cc"), encoding="utf-8") as f:
        us = re.search(r"shutdown_deadline = MonotonicMicros\(\) \+ ([0-9']+);", f.read()).group(1)
    return int(us.replace("'", "")) // 1_000_000


# --- 2. semantics --------------------------------------------------------------------------


def _workloads(objects):
    return [(k, v) for k, v in objects.items() if k[0] in ("Deployment", "Job")]


def _containers(pod_spec):
    return (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])


def _secret_keys(doc):
    return set((doc.get("data") or {}).keys()) | set((doc.get("stringData") or {}).keys())


def _mount_of(mounts, path):
    """The volumeMount whose mountPath holds `path` (the longest), or None."""
    best = None
    for m in mounts:
        mp = m["mountPath"].rstrip("/")
        if (path == mp or path.startswith(mp + "/")) and (best is None or len(mp) > len(best["mountPath"])):
            best = m
    return best


def _matches(selector_labels, labels):
    return bool(selector_labels) and all(labels.get(k) == v for k, v in selector_labels.items())


def semantic_errors(objects, source_dir, deadline_s):
    """Errors the schema cannot see, across the manifests (empty: none)."""
    configmaps = {n: d for (k, n), (_, d) in objects.items() if k == "ConfigMap"}
    secrets = {n: d for (k, n), (_, d) in objects.items() if k == "Secret"}
    version = project_version(source_dir)
    errors, pod_specs = [], {}
    for (kind, name), (path, doc) in _workloads(objects):
        where = f"{path}: {kind}/{name}"
        template = (doc.get("spec") or {}).get("template") or {}
        pod = template.get("spec") or {}
        pod_specs[kind] = pod
        labels = (template.get("metadata") or {}).get("labels") or {}
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        errors += _controller_errors(kind, where, doc.get("spec") or {}, pod, labels)
        errors += _pod_errors(where, pod, deadline_s)
        errors += _volume_errors(where, volumes, configmaps, secrets)
        pod_seccomp = ((pod.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
        for c in _containers(pod):
            errors += _container_errors(f"{where}: container {c.get('name')}", c, pod_seccomp, volumes, secrets)
        images = {c.get("image") for c in _containers(pod)}
        if len(images) != 1 or not all(i and i.endswith(":" + version) for i in images):
            errors.append(f"{where}: containers' images {sorted(map(str, images))}: one image, tagged {version}")
        errors += _worker_errors(where, pod, volumes, configmaps)
    if "Deployment" in pod_specs and "Job" in pod_specs:
        errors += _template_drift_errors(pod_specs["Deployment"], pod_specs["Job"])
    return errors


def _controller_errors(kind, where, spec, pod, labels):
    """Selector, the Job's indexed completion, and anti-affinity (required for the Job,
    required or preferred for the Deployment)."""
    errors = []
    if kind == "Deployment":
        match = (spec.get("selector") or {}).get("matchLabels") or {}
        if not _matches(match, labels):
            errors.append(f"{where}: spec.selector.matchLabels {match} do not select the template's labels {labels}")
    if kind == "Job":
        if spec.get("completionMode") != "Indexed":
            errors.append(f"{where}: spec.completionMode is {spec.get('completionMode')!r}, expected 'Indexed'")
        if not spec.get("completions") or spec.get("parallelism") != spec.get("completions"):
            errors.append(
                f"{where}: spec.parallelism ({spec.get('parallelism')}) must equal spec.completions "
                f"({spec.get('completions')}): one worker per index, all at once"
            )
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            errors.append(f"{where}: restartPolicy {pod.get('restartPolicy')!r}: a Job needs Never or OnFailure")
        if spec.get("selector") or spec.get("manualSelector"):
            errors.append(f"{where}: spec.selector: let the Job controller generate it")
        job_workers = [c for c in pod.get("containers") or [] if c.get("name") == WORKER_CONTAINER]
        if job_workers and "--exit-after-run" not in (job_workers[0].get("args") or []):
            errors.append(f"{where}: the worker needs --exit-after-run, or the Job never completes")
    anti = (pod.get("affinity") or {}).get("podAntiAffinity") or {}
    terms = list(anti.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    if kind == "Deployment":
        preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        terms += [t.get("podAffinityTerm") or {} for t in preferred]
    if not any(
        t.get("topologyKey") == HOSTNAME_TOPOLOGY
        and _matches((t.get("labelSelector") or {}).get("matchLabels"), labels)
        for t in terms
    ):
        errors.append(
            f"{where}: no pod anti-affinity term on {HOSTNAME_TOPOLOGY} selecting its own pods "
            f"({'required' if kind == 'Job' else 'required or preferred'}): two workers could share a node"
        )
    return errors


def _pod_errors(where, pod, deadline_s):
    errors = []
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True or not psc.get("runAsUser"):
        errors.append(f"{where}: securityContext: runAsNonRoot: true and a non-zero runAsUser are required")
    if pod.get("automountServiceAccountToken") is not False:
        errors.append(f"{where}: automountServiceAccountToken must be false (the worker never calls the API)")
    grace = pod.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < deadline_s + 5:
        errors.append(
            f"{where}: terminationGracePeriodSeconds {grace}: the worker stops within {deadline_s} s of "
            f"SIGTERM (worker/daemon.cc); give it at least {deadline_s + 5} s"
        )
    return errors


def _volume_errors(where, volumes, configmaps, secrets):
    """The ConfigMaps, Secrets and keys the volumes name exist."""
    errors = []
    for vname, v in volumes.items():
        if "configMap" in v:
            cm_name = v["configMap"].get("name")
            if cm_name not in configmaps:
                errors.append(f"{where}: volume {vname}: ConfigMap {cm_name!r} is not in the manifests")
                continue
            for item in v["configMap"].get("items") or []:
                if item.get("key") not in (configmaps[cm_name].get("data") or {}):
                    errors.append(f"{where}: volume {vname}: ConfigMap {cm_name} has no key {item.get('key')!r}")
        if "secret" in v:
            s_name = v["secret"].get("secretName")
            if s_name not in secrets:
                errors.append(f"{where}: volume {vname}: Secret {s_name!r} is not in the manifests")
                continue
            for item in v["secret"].get("items") or []:
                if item.get("key") not in _secret_keys(secrets[s_name]):
                    errors.append(f"{where}: volume {vname}: Secret {s_name} has no key {item.get('key')!r}")
    return errors


def _container_errors(where, c, pod_seccomp, volumes, secrets):
    """Security context, resources, probes, mounts, env and $(VAR) of one container."""
    errors = []
    csc = c.get("securityContext") or {}
    if csc.get("allowPrivilegeEscalation") is not False:
        errors.append(f"{where}: securityContext.allowPrivilegeEscalation must be false")
    if csc.get("readOnlyRootFilesystem") is not True:
        errors.append(f"{where}: securityContext.readOnlyRootFilesystem must be true")
    if csc.get("privileged"):
        errors.append(f"{where}: securityContext.privileged must not be set")
    caps = csc.get("capabilities") or {}
    if caps.get("drop") != ["ALL"] or caps.get("add"):
        errors.append(f"{where}: securityContext.capabilities must drop ['ALL'] and add none")
    if (csc.get("seccompProfile") or {}).get("type", pod_seccomp) != "RuntimeDefault":
        errors.append(f"{where}: seccompProfile must be RuntimeDefault (pod or container)")
    if csc.get("runAsUser") == 0 or csc.get("runAsNonRoot") is False:
        errors.append(f"{where}: must not run as root")
    res = c.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    for r in ("cpu", "memory"):
        if r not in req or r not in lim:
            errors.append(f"{where}: resources: {r} needs a request and a limit")
    for r in sorted(set(req) & set(lim)):
        try:
            if parse_quantity(req[r]) > parse_quantity(lim[r]):
                errors.append(f"{where}: resources: {r} request {req[r]} exceeds its limit {lim[r]}")
        except ValueError as e:
            errors.append(f"{where}: resources: {r}: {e}")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        p = c.get(probe) or {}
        if "httpGet" in p or "tcpSocket" in p or "grpc" in p:
            errors.append(f"{where}: {probe}: barrage-worker listens on no port; only an exec probe can work")
    mounts = c.get("volumeMounts") or []
    for m in mounts:
        if m.get("name") not in volumes:
            errors.append(f"{where}: volumeMount {m.get('name')!r} is not a volume of the pod")
        outer = _mount_of([o for o in mounts if o is not m], m.get("mountPath", ""))
        if outer is not None:
            errors.append(
                f"{where}: mountPath {m.get('mountPath')} lies inside {outer.get('mountPath')}: nested "
                f"mounts in a read-only volume cannot be created"
            )
    env_names = set()
    for e in c.get("env") or []:
        env_names.add(e.get("name"))
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref is None:
            continue
        if ref.get("name") not in secrets:
            errors.append(f"{where}: env {e.get('name')}: Secret {ref.get('name')!r} is not in the manifests")
        elif ref.get("key") not in _secret_keys(secrets[ref["name"]]):
            errors.append(f"{where}: env {e.get('name')}: Secret {ref.get('name')} has no key {ref.get('key')!r}")
    for arg in (c.get("command") or []) + (c.get("args") or []):
        for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
            if var not in env_names:
                errors.append(f"{where}: $({var}) in its command/args is not one of its env variables")
    return errors


def _worker_errors(where, pod, volumes, configmaps):
    """The worker container: its command, and its worker.toml against the pod (threads = the
    CPU limit, since the worker's default counts the node's cores; every path on a volume)."""
    worker = [c for c in pod.get("containers") or [] if c.get("name") == WORKER_CONTAINER]
    if len(worker) != 1:
        return [f"{where}: needs exactly one container named {WORKER_CONTAINER}"]
    worker = worker[0]
    errors = []
    if worker.get("command") != [WORKER_BINARY]:
        errors.append(f"{where}: {WORKER_CONTAINER}: command {worker.get('command')}, expected [{WORKER_BINARY!r}]")
    toml_text = _worker_toml(worker, volumes, configmaps)
    if toml_text is None:
        return errors + [f"{where}: {WORKER_CONTAINER}: --config does not name a file of a ConfigMap volume"]
    try:
        toml = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as e:
        return errors + [f"{where}: worker.toml: {e}"]
    cpu = ((worker.get("resources") or {}).get("limits") or {}).get("cpu")
    if cpu is None or toml.get("threads") != parse_quantity(cpu):
        errors.append(f"{where}: worker.toml threads = {toml.get('threads')} must equal the CPU limit ({cpu})")
    for keys, writable in TOML_PATH_KEYS.items():
        value = _toml_value(toml, keys)
        if not isinstance(value, str) or not value.startswith("/"):
            continue
        m = _mount_of(worker.get("volumeMounts") or [], value)
        if m is None:
            errors.append(f"{where}: worker.toml {'.'.join(keys)} = {value}: on no volume (the root is read-only)")
        elif writable and (m.get("readOnly") or "emptyDir" not in volumes.get(m.get("name"), {})):
            errors.append(f"{where}: worker.toml {'.'.join(keys)} = {value}: needs a writable emptyDir mount")
    return errors


def _toml_value(toml, keys):
    value = toml
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    return value


def _template_drift_errors(deployment_pod, job_pod):
    """The Job's pod is the Deployment's, but for its restart policy and the worker's name."""
    errors = []
    dep, job = copy.deepcopy(deployment_pod), copy.deepcopy(job_pod)
    for pod in (dep, job):
        pod.pop("restartPolicy", None)
    dw = [c for c in dep.get("containers") or [] if c.get("name") == WORKER_CONTAINER]
    jw = [c for c in job.get("containers") or [] if c.get("name") == WORKER_CONTAINER]
    if dw and jw:
        dargs, jargs = dw[0].pop("args", []), jw[0].pop("args", [])
        denv, jenv = dw[0].pop("env", []), jw[0].pop("env", [])
        if jargs[: len(dargs)] != dargs or any(e not in jenv for e in denv):
            errors.append("job.yaml: the worker's args and env must extend deployment.yaml's")
    if dep != job:
        errors.append("job.yaml and deployment.yaml: the pod templates differ beyond restartPolicy and args/env")
    return errors


def _worker_toml(worker, volumes, configmaps):
    """The ConfigMap text behind the worker's --config, or None."""
    args = worker.get("args") or []
    if "--config" not in args[:-1]:
        return None
    path = args[args.index("--config") + 1]
    m = _mount_of(worker.get("volumeMounts") or [], path)
    if m is None or "configMap" not in volumes.get(m["name"], {}):
        return None
    cm = volumes[m["name"]]["configMap"]
    rel = path[len(m["mountPath"].rstrip("/")) + 1 :]
    key = next((i["key"] for i in cm.get("items") or [] if i.get("path") == rel), None if cm.get("items") else rel)
    return (configmaps.get(cm.get("name")) or {}).get("data", {}).get(key)


def dockerfile_errors(source_dir, objects):
    errors = []
    path = os.path.join(source_dir, MANIFEST_DIR, "Dockerfile")
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    instr = {}
    for ln in lines:
        word, _, rest = ln.partition(" ")
        instr.setdefault(word.upper(), []).append(rest.strip())
    version = project_version(source_dir)
    if not any(re.fullmatch(r"debian:(12|bookworm)(-slim)?", f) for f in instr.get("FROM", [])):
        errors.append(f"{path}: FROM {instr.get('FROM')}: expected Debian 12 (debian:12 or debian:12-slim)")
    if f"BARRAGE_VERSION={version}" not in instr.get("ARG", []):
        errors.append(f"{path}: ARG BARRAGE_VERSION must default to the project's version {version}")
    if not any("barrage-worker_${BARRAGE_VERSION}_amd64.deb" in r for r in instr.get("COPY", [])):
        errors.append(f"{path}: COPY barrage-worker_${{BARRAGE_VERSION}}_amd64.deb (scripts/package.sh's name)")
    user = (instr.get("USER") or [""])[-1]
    entry = json.loads((instr.get("ENTRYPOINT") or ["[]"])[-1])
    if entry != [WORKER_BINARY]:
        errors.append(f"{path}: ENTRYPOINT {entry}, expected [{WORKER_BINARY!r}]")
    if f"--uid {user.partition(':')[0]}" not in text or f"--gid {user.partition(':')[2]}" not in text:
        errors.append(f"{path}: USER {user}: the barrage user must be created with that uid and gid")
    for (kind, name), (mpath, doc) in _workloads(objects):
        psc = doc["spec"]["template"]["spec"].get("securityContext") or {}
        ids = f"{psc.get('runAsUser')}:{psc.get('runAsGroup')}"
        if ids != user or psc.get("fsGroup") != psc.get("runAsGroup"):
            errors.append(
                f"{mpath}: {kind}/{name}: runAsUser:runAsGroup {ids} and fsGroup must be the image's USER {user}"
            )
    with open(os.path.join(source_dir, "cmake/BarragePackaging.cmake"), encoding="utf-8") as f:
        packaging = f.read()
    if "install(TARGETS barrage-worker RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}" not in packaging or not re.search(
        r"set\(CPACK_PACKAGING_INSTALL_PREFIX /usr\)", packaging
    ):
        errors.append(f"cmake/BarragePackaging.cmake: the package no longer installs {WORKER_BINARY}")
    return errors


def guide_errors(source_dir, objects):
    """The guide's `kubectl create secret` makes the keys the pods read."""
    path = os.path.join(source_dir, MANIFEST_DIR, "README.md")
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"kubectl [^\n]*create secret generic (\S+)([^\n]*)", text)
    if m is None:
        return [f"{path}: no `kubectl create secret generic` command"]
    keys = set(re.findall(r"--from-(?:file|literal)=([^=\s]+)=", m.group(2)))
    secret = objects.get(("Secret", m.group(1)))
    if secret is None:
        return [f"{path}: creates Secret {m.group(1)}, which the manifests do not use"]
    if keys != _secret_keys(secret[1]):
        read = sorted(_secret_keys(secret[1]))
        return [f"{path}: the Secret it creates has keys {sorted(keys)}, the pods read {read}"]
    if "## What was validated" not in text:
        return [f"{path}: no section 'What was validated'"]
    return _guide_job_errors(path, text, objects, os.path.join(source_dir, MANIFEST_DIR, "job.yaml"))


def _guide_job_errors(path, text, objects, job_path):
    """The guide's `sed ... job.yaml` (N workers) gives a valid Job of N pods, and its
    `--worker-names` are exactly their names."""
    m = re.search(r"(sed (?:-e '[^']*'\s*)+)\s*(deploy/kubernetes/job\.yaml)", text)
    if m is None:
        return [f"{path}: no `sed -e ... deploy/kubernetes/job.yaml` command for N workers"]
    r = subprocess.run([*shlex.split(m.group(1)), job_path], capture_output=True, text=True)
    if r.returncode != 0:
        return [f"{path}: {m.group(1)}: {r.stderr.strip()}"]
    job = yaml.load(r.stdout, Loader=_StrictLoader)
    errors = [f"{path}: the Job its sed makes: {e}" for e in schema_errors(job)]
    original = copy.deepcopy(objects[("Job", job["metadata"]["name"])][1])
    n = job["spec"].get("completions")
    if job["spec"].get("parallelism") != n or n == original["spec"]["completions"]:
        errors.append(f"{path}: its sed must set both completions and parallelism to the new N")
    original["spec"]["completions"] = original["spec"]["parallelism"] = n
    if job != original:
        errors.append(f"{path}: its sed changes more of job.yaml than completions and parallelism")
    names = re.search(r"--worker-names (\S+)", text)
    expected = ",".join(f"{job['metadata']['name']}-{i}" for i in range(n or 0))
    if names is None or names.group(1) != expected:
        errors.append(f"{path}: --worker-names {names and names.group(1)}, expected {expected} (the Job's N pods)")
    return errors


def validate_directory(source_dir, manifest_dir=None):
    """Every error of the manifests in `manifest_dir` (default: the repository's)."""
    objects, errors = load_manifests(manifest_dir or os.path.join(source_dir, MANIFEST_DIR))
    if errors:
        return errors
    missing = [k for k in ("ConfigMap", "Secret", "Deployment", "Job") if not any(o[0] == k for o in objects)]
    if missing:
        return [f"no {k} in the manifests" for k in missing]
    return semantic_errors(objects, source_dir, worker_shutdown_deadline_s(source_dir))


# --- 3. the real binary on the pod's files ------------------------------------------------


class PodLayout:
    """A pod's volumes laid out under `root` as the kubelet would make them, and each
    container's paths mapped onto them."""

    def __init__(self, root, pod, configmaps, secret_data):
        self.root, self.pod = root, pod
        fs_group = (pod.get("securityContext") or {}).get("fsGroup")
        self.volumes = {}
        for v in pod.get("volumes") or []:
            d = os.path.join(root, "volumes", v["name"])
            os.makedirs(d)
            self.volumes[v["name"]] = d
            if "emptyDir" in v:
                os.chmod(d, 0o2777 if fs_group else 0o777)
                continue
            if "configMap" in v:
                src, data = v["configMap"], configmaps[v["configMap"]["name"]]["data"]
                default = src.get("defaultMode", 0o644)
            else:
                src, data = v["secret"], secret_data
                default = src.get("defaultMode", 0o644)
            items = src.get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                f = os.path.join(d, item["path"])
                with open(f, "w", encoding="utf-8") as out:
                    out.write(data[item["key"]])
                # With fsGroup the kubelet adds group read to every file of the volume
                # (kubernetes/kubernetes#57923): 0400 becomes 0440.
                os.chmod(f, item.get("mode", default) | (0o440 if fs_group else 0))

    def host_path(self, container, path):
        m = _mount_of(container.get("volumeMounts") or [], path)
        if m is None:
            raise AssertionError(f"container {container['name']}: {path} is on no volume")
        return self.volumes[m["name"]] + path[len(m["mountPath"].rstrip("/")) :]


def _expand(args, env):
    return [re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env[m.group(1)], a) for a in args]


def _env(container, secret_data, job_name):
    env = {}
    for e in container.get("env") or []:
        vf = e.get("valueFrom") or {}
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "secretKeyRef" in vf:
            env[e["name"]] = secret_data[vf["secretKeyRef"]["key"]]
        elif vf.get("fieldRef", {}).get("fieldPath") == JOB_NAME_FIELD:
            env[e["name"]] = job_name
        elif vf.get("fieldRef", {}).get("fieldPath") == JOB_INDEX_FIELD:
            env[e["name"]] = "0"
        else:
            raise AssertionError(f"env {e['name']}: the test does not know how to resolve {vf}")
    return env


# --- the tests ----------------------------------------------------------------------------

ARGS = None


class ManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = ARGS.source_dir
        cls.objects, cls.load_errors = load_manifests(os.path.join(cls.src, MANIFEST_DIR))

    def doc(self, kind):
        return copy.deepcopy(next(d for (k, _), (_, d) in self.objects.items() if k == kind))

    def test_every_object_passes_the_schema(self):
        self.assertEqual(self.load_errors, [])
        self.assertEqual(
            sorted(self.objects),
            [
                ("ConfigMap", "barrage-worker-config"),
                ("Deployment", "barrage-worker"),
                ("Job", "barrage-test-workers"),
                ("Secret", "barrage-worker-keys"),
            ],
        )

    def test_semantics(self):
        self.assertEqual(validate_directory(self.src), [])

    def test_dockerfile_agrees_with_the_manifests(self):
        self.assertEqual(dockerfile_errors(self.src, self.objects), [])

    def test_guide_creates_the_secret_the_pods_read(self):
        self.assertEqual(guide_errors(self.src, self.objects), [])

    def test_job_is_indexed_with_one_worker_per_index(self):
        spec = self.doc("Job")["spec"]
        self.assertEqual((spec["completionMode"], spec["parallelism"], spec["completions"]), ("Indexed", 3, 3))
        self.assertEqual(spec["template"]["spec"]["restartPolicy"], "OnFailure")
        worker = [c for c in spec["template"]["spec"]["containers"] if c["name"] == WORKER_CONTAINER][0]
        self.assertEqual(worker["args"][-1], "--exit-after-run")

    def test_anti_affinity_is_required_for_both(self):
        for kind in ("Deployment", "Job"):
            anti = self.doc(kind)["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
            self.assertEqual(
                anti["requiredDuringSchedulingIgnoredDuringExecution"],
                [
                    {
                        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "barrage-worker"}},
                        "topologyKey": HOSTNAME_TOPOLOGY,
                    }
                ],
                kind,
            )

    def test_worker_flags_are_the_binarys(self):
        help_text = subprocess.run([ARGS.worker, "--help"], capture_output=True, text=True, check=True).stdout
        known = set(re.findall(r"(--[a-z][a-z-]*)", help_text))
        for kind in ("Deployment", "Job"):
            for c in self.doc(kind)["spec"]["template"]["spec"]["containers"]:
                for a in c.get("args") or []:
                    if a.startswith("--"):
                        self.assertIn(a.split("=")[0], known, f"{kind}: {a} is not a barrage-worker flag")

    # --- 3: the binary on the files the pod would see ---

    def lay_out(self, kind, tmp):
        """Lays out `kind`'s pod under tmp with fresh keys, runs its init containers; returns
        (layout, worker container, its expanded args, the secret data)."""
        doc = self.doc(kind)
        pod = doc["spec"]["template"]["spec"]
        keys = os.path.join(tmp, "made-by-keygen")
        os.makedirs(keys)
        subprocess.run([ARGS.worker, "--keygen", os.path.join(keys, "worker.key")], capture_output=True, check=True)
        pub = subprocess.run(
            [ARGS.worker, "--keygen", os.path.join(keys, "controller.key")], capture_output=True, text=True, check=True
        ).stdout.strip()
        with open(os.path.join(keys, "worker.key"), encoding="utf-8") as f:
            secret_data = {
                "controller": "tcp://127.0.0.1:5570",
                "worker.key": f.read(),
                "controller.pub": f'public_key = "{pub}"\n',
            }
        secret = self.doc("Secret")
        self.assertEqual(set(secret_data), _secret_keys(secret), "the Secret's keys (secret.example.yaml)")
        configmaps = {n: d for (k, n), (_, d) in self.objects.items() if k == "ConfigMap"}
        layout = PodLayout(os.path.join(tmp, kind), pod, configmaps, secret_data)
        for init in pod.get("initContainers") or []:
            cmd = init["command"] + (init.get("args") or [])
            argv = [cmd[0]] + [layout.host_path(init, a) if a.startswith("/") else a for a in cmd[1:]]
            self.assertTrue(os.path.exists(cmd[0]), f"{cmd[0]} (the init container's command) is not on this machine")
            subprocess.run(argv, check=True)
        worker = next(c for c in pod["containers"] if c["name"] == WORKER_CONTAINER)
        args = _expand(worker["args"], _env(worker, secret_data, doc["metadata"]["name"]))
        return layout, worker, args, secret_data

    def render_config(self, layout, worker, args, tmp, edit=None):
        """The worker's --config text with every path mapped onto the laid-out volumes; returns
        the args with --config naming the rendered file."""
        config = layout.host_path(worker, args[args.index("--config") + 1])
        with open(config, encoding="utf-8") as f:
            text = f.read()
        toml = tomllib.loads(text)
        for keys in TOML_PATH_KEYS:
            value = _toml_value(toml, keys)
            if isinstance(value, str) and value.startswith("/"):
                text = text.replace(f'"{value}"', json.dumps(layout.host_path(worker, value)))
        if edit:
            text = edit(text)
        rendered = os.path.join(tmp, "rendered-worker.toml")
        with open(rendered, "w", encoding="utf-8") as f:
            f.write(text)
        out = list(args)
        out[out.index("--config") + 1] = rendered
        return out, rendered

    def check_config(self, args):
        return subprocess.run([ARGS.worker, *args, "--check-config"], capture_output=True, text=True)

    def test_check_config_accepts_each_pods_worker_toml_and_key_files(self):
        for kind, name in (("Deployment", None), ("Job", "barrage-test-workers-0")):
            with tempfile.TemporaryDirectory() as tmp:
                layout, worker, args, secret = self.lay_out(kind, tmp)
                key_copy = layout.host_path(worker, "/run/barrage/keys/worker.key")
                self.assertEqual(os.stat(key_copy).st_mode & 0o7777, 0o400, f"{kind}: the init container's copy")
                self.assertEqual(args[args.index("--controller") + 1], secret["controller"])
                if name:
                    self.assertEqual(args[args.index("--name") + 1], name)
                args, rendered = self.render_config(layout, worker, args, tmp)
                r = self.check_config(args)
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"{rendered}: OK\n", ""), kind)

    def test_secret_volume_file_itself_is_refused(self):
        # Why the init container: under fsGroup the Secret's worker.key is 0440, which the
        # worker refuses for a secret key.
        with tempfile.TemporaryDirectory() as tmp:
            layout, worker, args, _ = self.lay_out("Deployment", tmp)
            mounted = os.path.join(layout.volumes["worker-key-secret"], "worker.key")
            self.assertEqual(os.stat(mounted).st_mode & 0o7777, 0o440)
            args, _ = self.render_config(
                layout,
                worker,
                args,
                tmp,
                edit=lambda t: re.sub(r'secret_key_file = "[^"]*"', f"secret_key_file = {json.dumps(mounted)}", t),
            )
            r = self.check_config(args)
            self.assertEqual(r.returncode, 2)
            self.assertIn(f"{mounted}: UNPROTECTED SECRET KEY FILE: permissions 0440 are too open", r.stderr)

    def test_check_config_refuses_an_unknown_key_in_the_configmap(self):
        with tempfile.TemporaryDirectory() as tmp:
            layout, worker, args, _ = self.lay_out("Deployment", tmp)
            args, rendered = self.render_config(
                layout, worker, args, tmp, edit=lambda t: t.replace("controller_timeout = 10", "controler_timeout = 10")
            )
            r = self.check_config(args)
            self.assertEqual(r.returncode, 2)
            self.assertIn("key controler_timeout: unknown key", r.stderr)


class RejectsBrokenManifestsTest(unittest.TestCase):
    """The validator on copies broken on purpose: each must be refused, with this message."""

    @classmethod
    def setUpClass(cls):
        cls.src = ARGS.source_dir
        cls.objects, _ = load_manifests(os.path.join(cls.src, MANIFEST_DIR))

    def mutated(self, kind, mutate):
        objects = copy.deepcopy(self.objects)
        key = next(k for k in objects if k[0] == kind)
        mutate(objects[key][1])
        return objects

    def assert_schema_error(self, kind, mutate, expected):
        doc = self.mutated(kind, mutate)[next(k for k in self.objects if k[0] == kind)][1]
        errors = schema_errors(doc)
        self.assertTrue(any(expected in e for e in errors), f"expected {expected!r} in {errors}")

    def assert_semantic_error(self, kind, mutate, expected):
        errors = semantic_errors(self.mutated(kind, mutate), self.src, worker_shutdown_deadline_s(self.src))
        self.assertTrue(any(expected in e for e in errors), f"expected {expected!r} in {errors}")

    @staticmethod
    def pod(doc):
        return doc["spec"]["template"]["spec"]

    def worker(self, doc):
        return next(c for c in self.pod(doc)["containers"] if c["name"] == WORKER_CONTAINER)

    def test_unknown_field(self):
        self.assert_schema_error(
            "Deployment",
            lambda d: self.worker(d).update(imagePullPolicyy="Always"),
            "spec.template.spec.containers[0].imagePullPolicyy: unknown field (not in V1Container)",
        )

    def test_unknown_field_deep_in_a_list(self):
        self.assert_schema_error(
            "Job",
            lambda d: self.pod(d)["volumes"][3]["emptyDir"].update(sizeLimits="1Mi"),
            "spec.template.spec.volumes[3].emptyDir.sizeLimits: unknown field (not in V1EmptyDirVolumeSource)",
        )

    def test_wrong_type(self):
        self.assert_schema_error(
            "Deployment", lambda d: d["spec"].update(replicas="3"), 'spec.replicas: expected int, got str "3"'
        )

    def test_bool_is_not_an_int(self):
        self.assert_schema_error(
            "Job", lambda d: d["spec"].update(completions=True), "spec.completions: expected int, got bool"
        )

    def test_quantity_must_be_a_string(self):
        self.assert_schema_error(
            "Deployment",
            lambda d: self.worker(d)["resources"]["limits"].update(cpu=2),
            "spec.template.spec.containers[0].resources.limits.cpu: expected str, got int 2",
        )

    def test_missing_required_field(self):
        self.assert_schema_error(
            "Deployment", lambda d: self.worker(d).pop("name"), "Invalid value for `name`, must not be `None`"
        )

    def test_unknown_kind(self):
        self.assert_schema_error("Deployment", lambda d: d.update(kind="Deploymnt"), "kind 'Deploymnt': not one of")

    def test_selector_not_matching_the_template(self):
        self.assert_semantic_error(
            "Deployment",
            lambda d: d["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/component": "other"}),
            "do not select the template's labels",
        )

    def test_request_above_limit(self):
        self.assert_semantic_error(
            "Job",
            lambda d: self.worker(d)["resources"]["requests"].update(memory="2Gi"),
            "memory request 2Gi exceeds its limit 1536Mi",
        )

    def test_secret_key_the_secret_lacks(self):
        self.assert_semantic_error(
            "Deployment",
            lambda d: self.worker(d)["env"][0]["valueFrom"]["secretKeyRef"].update(key="controler"),
            "Secret barrage-worker-keys has no key 'controler'",
        )

    def test_job_without_anti_affinity(self):
        self.assert_semantic_error(
            "Job", lambda d: self.pod(d).pop("affinity"), "no pod anti-affinity term on kubernetes.io/hostname"
        )

    def test_job_not_indexed(self):
        self.assert_semantic_error("Job", lambda d: d["spec"].update(parallelism=2), "must equal spec.completions")

    def test_root_filesystem_writable(self):
        self.assert_semantic_error(
            "Deployment",
            lambda d: self.pod(d)["initContainers"][0]["securityContext"].update(readOnlyRootFilesystem=False),
            "container install-key: securityContext.readOnlyRootFilesystem must be true",
        )

    def test_threads_not_the_cpu_limit(self):
        def mutate(d):
            for c in self.pod(d)["containers"]:
                c["resources"]["limits"]["cpu"] = c["resources"]["requests"]["cpu"] = "4"

        self.assert_semantic_error("Deployment", mutate, "threads = 2 must equal the CPU limit (4)")

    def test_undefined_variable_in_args(self):
        self.assert_semantic_error(
            "Job", lambda d: self.worker(d)["args"].append("$(BARRAGE_NAME)"), "$(BARRAGE_NAME) in its command/args"
        )

    def test_grace_period_shorter_than_the_workers_stop(self):
        self.assert_semantic_error(
            "Deployment", lambda d: self.pod(d).update(terminationGracePeriodSeconds=5), "give it at least 15 s"
        )

    def test_job_drifting_from_the_deployment(self):
        self.assert_semantic_error(
            "Job",
            lambda d: self.pod(d)["volumes"][4]["emptyDir"].update(sizeLimit="1Gi"),
            "the pod templates differ beyond restartPolicy and args/env",
        )

    def test_broken_file_fails_the_whole_directory(self):
        # The same entry point as test_semantics, on a copy of deploy/kubernetes with a
        # field misspelled in the YAML text itself.
        with tempfile.TemporaryDirectory() as tmp:
            copy_dir = os.path.join(tmp, "kubernetes")
            shutil.copytree(os.path.join(self.src, MANIFEST_DIR), copy_dir)
            path = os.path.join(copy_dir, "deployment.yaml")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("          readOnlyRootFilesystem: true\n", text)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true", 1))
            errors = validate_directory(self.src, copy_dir)
            self.assertEqual(
                errors,
                [
                    f"{path}: spec.template.spec.initContainers[0].securityContext.readOnlyRootFileSystem: "
                    "unknown field (not in V1SecurityContext)"
                ],
            )

    def test_guide_drifting_from_the_job(self):
        path = os.path.join(self.src, MANIFEST_DIR, "README.md")
        job = os.path.join(self.src, MANIFEST_DIR, "job.yaml")
        with open(path, encoding="utf-8") as f:
            text = f.read().replace("\\\n", " ")
        self.assertEqual(_guide_job_errors(path, text, self.objects, job), [])
        wrong_names = text.replace(",barrage-test-workers-4 ", ",barrage-test-workers-5 ", 1)
        errors = _guide_job_errors(path, wrong_names, self.objects, job)
        self.assertIn("--worker-names barrage-test-workers-0,", errors[0])
        one_field = re.sub(r"-e 's/\^  parallelism: 3\$/  parallelism: 5/'", "", text, count=1)
        self.assertNotEqual(one_field, text)
        errors = _guide_job_errors(path, one_field, self.objects, job)
        self.assertIn("its sed must set both completions and parallelism", errors[0])

    def test_duplicate_key_in_the_yaml_text(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy_dir = os.path.join(tmp, "kubernetes")
            shutil.copytree(os.path.join(self.src, MANIFEST_DIR), copy_dir)
            path = os.path.join(copy_dir, "job.yaml")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("  backoffLimit: 3\n", "  backoffLimit: 3\n  backoffLimit: 30\n", 1))
            errors = validate_directory(self.src, copy_dir)
            self.assertEqual(len(errors), 1, errors)
            self.assertIn(f"{path}: ", errors[0])
            self.assertIn("duplicate key 'backoffLimit'", errors[0])


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", required=True, help="the built barrage-worker")
    parser.add_argument("--source-dir", default=".", help="the repository's root")
    ARGS, rest = parser.parse_known_args()
    ARGS.source_dir = os.path.abspath(ARGS.source_dir)
    if not os.access(ARGS.worker, os.X_OK):
        print(f"k8s_manifests_test: --worker {ARGS.worker}: not an executable", file=sys.stderr)
        return 1
    program = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
