# Reelbot: slim Python, the locked dependencies (requirements/run.txt, every file's hash
# checked), a numeric non-root user, data on a volume, a health check.
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# the lock first: this layer is rebuilt only when the dependencies change
COPY requirements/run.txt requirements/run.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.12-slim
# METRICS_PORT: /healthz and /metrics (docs/metrics.md), which the HEALTHCHECK reads
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/reelbot.sqlite3 \
    MEDIA_DIR=/data/media \
    METRICS_PORT=9100
RUN groupadd --system --gid 10001 reelbot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin reelbot \
    && mkdir -p /app /data/media \
    && chown -R 10001:10001 /app /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# numeric, so that the runtime need not look the name up (and a policy can check it is not 0)
USER 10001:10001
VOLUME ["/data"]
EXPOSE 9100
# healthy while the bot answers /healthz; with METRICS_PORT set empty there is nothing to ask
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as r; p = os.environ.get('METRICS_PORT'); sys.exit(0) if not p else r.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=4)"]
# SIGTERM closes the bot cleanly; unfinished generations resume at the next start.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
