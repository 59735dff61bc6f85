#!/usr/bin/env python3
"""Writes a synthetic monorepo: N apps over 10 namespaces, one file each with a Deployment
(two containers, env, resources, probes), its Service and VirtualService; every third app
has an HPA, every fifth a DestinationRule with a traffic policy. Deterministic.

usage: generate.py DIR N
"""
import os
import sys


def app(i: int) -> str:
    ns = f"team-{i % 10}"
    name = f"app-{i:05d}"
    text = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app: {name}
    team: {ns}
spec:
  replicas: {2 + i % 4}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
        version: v1
      annotations:
        sidecar.istio.io/inject: "true"
    spec:
      serviceAccountName: {name}
      containers:
        - name: main
          image: registry.example.com/{ns}/{name}:1.{i % 30}.{i % 7}
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
            - name: FEATURE_FLAGS
              value: "on"
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /livez
              port: http
            initialDelaySeconds: 10
        - name: log-agent
          image: registry.example.com/platform/log-agent:4.2.0
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    app: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: {name}
  namespace: {ns}
spec:
  hosts:
    - {name}
  http:
    - match:
        - uri:
            prefix: /api
      route:
        - destination:
            host: {name}
            port:
              number: 80
      retries:
        attempts: 3
        perTryTimeout: 2s
      timeout: 10s
"""
    if i % 3 == 0:
        text += f"""---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {ns}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
"""
    if i % 5 == 0:
        text += f"""---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: {name}
  namespace: {ns}
spec:
  host: {name}
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 30s
"""
    return text


def main() -> None:
    root, count = sys.argv[1], int(sys.argv[2])
    for i in range(count):
        ns_dir = os.path.join(root, f"team-{i % 10}")
        os.makedirs(ns_dir, exist_ok=True)
        with open(os.path.join(ns_dir, f"app-{i:05d}.yaml"), "w") as f:
            f.write(app(i))


if __name__ == "__main__":
    main()
