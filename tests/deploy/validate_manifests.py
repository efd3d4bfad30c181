"""Offline validation of deploy/kubernetes and deploy/compose, run by
tests/it/deploy.rs (needs PyPI kubernetes-validate, check-jsonschema and
cloudcoil-models-prometheus-operator; .ci/run installs them).

- Every Kubernetes object is validated strictly (unknown fields are errors)
  against the schemas kubernetes-validate bundles, for the oldest and newest
  Kubernetes versions we support. The ServiceMonitor (a Prometheus Operator
  CRD, not in those schemas) is validated against the CRD's models from
  cloudcoil-models-prometheus-operator, with unknown fields refused too.
- The objects must fit each other: selectors match the pod labels, the
  ServiceMonitor's port is a Service port, volumes name existing ConfigMaps,
  probes and limits are set.
- compose.yaml is validated against the compose-spec JSON schema that
  check-jsonschema vendors, and every file it mounts, builds or reads as a
  secret must exist.

Usage: validate_manifests.py REPO_ROOT OUT_DIR
Writes OUT_DIR/kubernetes.toml (the ConfigMap's hypercare.toml) for
`hypercare validate`. Prints one line per object; exit 1 on any problem.
"""

import glob
import json
import os
import sys

import yaml

K8S_VERSIONS = ["1.29.0", "1.37.0"]
problems = []


def problem(msg):
    problems.append(msg)
    print("FAIL " + msg)


def unknown_fields(given, dumped, path=""):
    """Keys in `given` that the model dropped (it ignores extras)."""
    out = []
    if isinstance(given, dict) and isinstance(dumped, dict):
        for k, v in given.items():
            if k not in dumped:
                out.append(f"{path}.{k}")
            else:
                out += unknown_fields(v, dumped[k], f"{path}.{k}")
    elif isinstance(given, list) and isinstance(dumped, list):
        for i, (a, b) in enumerate(zip(given, dumped)):
            out += unknown_fields(a, b, f"{path}[{i}]")
    return out


def validate_service_monitor(name, doc):
    from cloudcoil.models.prometheus_operator import v1

    try:
        model = v1.ServiceMonitor.model_validate(doc)
    except Exception as e:  # pydantic.ValidationError
        problem(f"{name}: ServiceMonitor/{doc['metadata']['name']}: {e}")
        return
    dumped = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    extra = unknown_fields(doc, dumped)
    if extra:
        problem(f"{name}: ServiceMonitor fields not in the CRD: {', '.join(extra)}")
    else:
        print(f"ok   {name}: ServiceMonitor/{doc['metadata']['name']} against the monitoring.coreos.com/v1 CRD models")


def kubernetes(root, out_dir):
    import kubernetes_validate

    objects = []
    for path in sorted(glob.glob(os.path.join(root, "deploy/kubernetes/*.yaml"))):
        name = os.path.relpath(path, root)
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                objects.append((name, doc))
                if doc.get("kind") == "ServiceMonitor":
                    validate_service_monitor(name, doc)
                    continue
                for version in K8S_VERSIONS:
                    try:
                        kubernetes_validate.validate(doc, version, strict=True)
                    except Exception as e:
                        problem(f"{name}: {doc.get('kind')}/{doc['metadata'].get('name')} (Kubernetes {version}): {str(e).splitlines()[0]}")
                        break
                else:
                    print(f"ok   {name}: {doc['kind']}/{doc['metadata']['name']} strict against Kubernetes {', '.join(K8S_VERSIONS)}")
    by_kind = {}
    for _, doc in objects:
        by_kind.setdefault(doc["kind"], []).append(doc)
    for kind in ["Deployment", "Service", "ConfigMap", "ServiceMonitor", "PodDisruptionBudget"]:
        if len(by_kind.get(kind, [])) != 1:
            problem(f"deploy/kubernetes: expected one {kind}, found {len(by_kind.get(kind, []))}")
    if problems:
        return
    dep, svc, cm, sm, pdb = (by_kind[k][0] for k in ["Deployment", "Service", "ConfigMap", "ServiceMonitor", "PodDisruptionBudget"])
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]

    def selects(selector, what):
        if not all(pod_labels.get(k) == v for k, v in selector.items()):
            problem(f"{what} selector {selector} does not match the pod labels {pod_labels}")

    selects(dep["spec"]["selector"]["matchLabels"], "Deployment")
    selects(svc["spec"]["selector"], "Service")
    selects(pdb["spec"]["selector"]["matchLabels"], "PodDisruptionBudget")
    if not all(svc["metadata"].get("labels", {}).get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items()):
        problem("the ServiceMonitor does not select the Service's labels")
    svc_ports = {p.get("name") for p in svc["spec"]["ports"]}
    for ep in sm["spec"]["endpoints"]:
        if ep.get("port") not in svc_ports:
            problem(f"ServiceMonitor port {ep.get('port')} is not a Service port {svc_ports}")
        if ep.get("path", "/metrics") != "/metrics":
            problem("ServiceMonitor path is not /metrics")
    if dep["spec"]["replicas"] < 2:
        problem("the Deployment should run at least two replicas")
    if pdb["spec"].get("minAvailable", 0) >= dep["spec"]["replicas"]:
        problem("the PodDisruptionBudget would block every voluntary eviction")
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    container_ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for p in svc["spec"]["ports"]:
        if p["targetPort"] not in container_ports:
            problem(f"Service targetPort {p['targetPort']} is not a container port")
    if c["livenessProbe"]["httpGet"]["path"] != "/healthz" or c["readinessProbe"]["httpGet"]["path"] != "/readyz":
        problem("liveness must ask /healthz and readiness /readyz")
    res = c.get("resources", {})
    if "memory" not in res.get("limits", {}) or "memory" not in res.get("requests", {}):
        problem("the container needs memory requests and limits")
    sc = c.get("securityContext", {})
    if not (sc.get("readOnlyRootFilesystem") and sc.get("runAsNonRoot") and sc.get("allowPrivilegeEscalation") is False):
        problem("the container must run non-root, read-only, without privilege escalation")
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    for m in c["volumeMounts"]:
        if m["name"] not in volumes:
            problem(f"volumeMount {m['name']} has no volume")
    for v in volumes.values():
        if "configMap" in v and v["configMap"]["name"] != cm["metadata"]["name"]:
            problem(f"volume {v['name']} names ConfigMap {v['configMap']['name']}, not shipped")
    config = cm["data"]["hypercare.toml"]
    with open(os.path.join(out_dir, "kubernetes.toml"), "w") as f:
        f.write(config)
    print("ok   deploy/kubernetes: selectors, ports, probes, limits and volumes fit together")


def compose(root):
    import check_jsonschema
    import jsonschema

    path = os.path.join(root, "deploy/compose/compose.yaml")
    base = os.path.dirname(path)
    schema_path = os.path.join(os.path.dirname(check_jsonschema.__file__), "builtin_schemas/vendor/compose-spec.json")
    with open(schema_path) as f:
        schema = json.load(f)
    with open(path) as f:
        doc = yaml.safe_load(f)
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        problem(f"deploy/compose/compose.yaml: {'/'.join(map(str, e.path))}: {e.message}")
    if not errors:
        print("ok   deploy/compose/compose.yaml against the compose-spec schema")
    services = doc["services"]
    for want in ["hypercare", "postgres", "prometheus", "alertmanager", "grafana", "mailpit"]:
        if want not in services:
            problem(f"compose.yaml has no {want} service")
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
            if src.startswith("."):
                if not os.path.exists(os.path.join(base, src)):
                    problem(f"service {name} mounts {src}, which does not exist")
        build = svc.get("build")
        if build:
            ctx = os.path.join(base, build["context"])
            if not os.path.isfile(os.path.join(ctx, build["dockerfile"])):
                problem(f"service {name} builds from a missing Dockerfile")
        for s in svc.get("secrets", []):
            if s not in doc.get("secrets", {}):
                problem(f"service {name} uses undeclared secret {s}")
    for s, spec in doc.get("secrets", {}).items():
        if not os.path.isfile(os.path.join(base, spec["file"])):
            problem(f"secret {s} file {spec['file']} is missing")
    prom = " ".join(services["prometheus"]["command"])
    if "prometheus-compose.yml" not in prom or not os.path.isfile(os.path.join(root, "deploy/prometheus/prometheus-compose.yml")):
        problem("the compose Prometheus must load deploy/prometheus/prometheus-compose.yml")
    print("ok   deploy/compose/compose.yaml: mounted files, Dockerfile and secrets exist")


def main():
    root, out_dir = sys.argv[1], sys.argv[2]
    kubernetes(root, out_dir)
    compose(root)
    if problems:
        print(f"{len(problems)} problem(s)")
        sys.exit(1)
    print("all deployment manifests valid")


if __name__ == "__main__":
    main()
