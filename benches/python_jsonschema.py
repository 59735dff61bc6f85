#!/usr/bin/env python3
"""Validates every document of a YAML stream with python-jsonschema against the same
bundled schemas rolloutify uses (merged the way src/validate/schema.rs merges them), and
prints the milliseconds it took to read the YAML (PyYAML, with libyaml when it has it) and to
validate (schemas compiled once, as rolloutify does).

usage: python_jsonschema.py FILE
"""
import json
import os
import sys
import time

import jsonschema
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "schemas")
KUBERNETES = json.load(open(os.path.join(ROOT, "kubernetes", "definitions.json")))["$defs"]
OWN = {
    ("argoproj.io", "Rollout"): "argoproj/rollout.schema.yaml",
    ("argoproj.io", "AnalysisTemplate"): "argoproj/analysistemplate.schema.yaml",
    ("networking.istio.io", "VirtualService"): "istio/virtualservice.schema.yaml",
    ("networking.istio.io", "DestinationRule"): "istio/destinationrule.schema.yaml",
    ("networking.istio.io", "Gateway"): "istio/gateway.schema.yaml",
}
GENERATED = {
    ("apps", "Deployment"): "io.k8s.api.apps.v1.Deployment",
    ("", "Service"): "io.k8s.api.core.v1.Service",
    ("autoscaling", "HorizontalPodAutoscaler"): "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
    ("policy", "PodDisruptionBudget"): "io.k8s.api.policy.v1.PodDisruptionBudget",
}


def schema_for(group, kind):
    definitions = dict(KUBERNETES)
    if (group, kind) in OWN:
        root = yaml.safe_load(open(os.path.join(ROOT, OWN[(group, kind)])))
        definitions.update(root.pop("$defs", {}))
    elif (group, kind) in GENERATED:
        root = {"$ref": "#/$defs/" + GENERATED[(group, kind)]}
    else:
        return None
    root["$defs"] = definitions
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(root)


def main():
    start = time.perf_counter()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    documents = [d for d in yaml.load_all(open(sys.argv[1]), Loader=loader) if d]
    loaded = time.perf_counter()
    validators = {}
    start_validation = time.perf_counter()
    for document in documents:
        group = document["apiVersion"].rpartition("/")[0]
        key = (group, document["kind"])
        if key not in validators:
            validators[key] = schema_for(*key)
        if validators[key] is not None:
            for _ in validators[key].iter_errors(document):
                pass
    end = time.perf_counter()
    # milliseconds: reading the YAML, then compiling the schemas and validating
    print(int((loaded - start) * 1000), int((end - start_validation) * 1000))


if __name__ == "__main__":
    main()
