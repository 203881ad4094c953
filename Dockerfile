# Coalition Desk: one image for `coalition run` (HTTP + jobs), `serve` or `worker`.
FROM python:3.12-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    COALITION_SERVER_HOST=0.0.0.0 \
    COALITION_SERVER_PORT=8000 \
    COALITION_LOG_FORMAT=json

RUN useradd --create-home --uid 10001 coalition
WORKDIR /app
COPY pyproject.toml requirements.lock README.md config.example.toml ./
COPY coalition coalition
COPY bot bot
COPY digests digests
COPY store store
COPY worker worker
COPY templates templates
COPY examples examples
# The locked versions (hashes checked), then the application itself without resolving again.
RUN pip install --require-hashes -r requirements.lock && pip install --no-deps . \
    && mkdir -p /data && chown coalition /data

USER coalition
# The embedded default keeps its SQLite file in /data; set COALITION_STORE_URL for PostgreSQL.
ENV COALITION_STORE_URL=sqlite:////data/coalition.db \
    COALITION_EMAIL_OUTBOX_DIR=/data/outbox
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["coalition", "run"]
