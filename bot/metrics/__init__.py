"""Health and metrics: `/healthz` and Prometheus `/metrics` on METRICS_PORT (off when unset)."""
