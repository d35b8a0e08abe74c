# Reelbot: slim Python, a non-root user, data on a volume.
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

FROM python:3.12-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/reelbot.sqlite3 \
    MEDIA_DIR=/data/media
RUN groupadd --system --gid 10001 reelbot \
    && useradd --system --uid 10001 --gid reelbot --home-dir /app --shell /usr/sbin/nologin reelbot \
    && mkdir -p /app /data/media \
    && chown -R reelbot:reelbot /app /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER reelbot:reelbot
VOLUME ["/data"]
# SIGTERM closes the bot cleanly; unfinished generations resume at the next start.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
