# Production image: migrations, then uvicorn, as a non-root user. The same image runs the
# background worker with `python -m app worker` (compose.yaml's `worker` service).
# Build: docker build -t item10 .   Run: see compose.yaml (JWT_SECRET and DATABASE_URL required).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/item10
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -e .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    WEB_CONCURRENCY=2 \
    PORT=8000
RUN useradd --system --create-home --uid 10001 item10
WORKDIR /srv/item10
COPY --from=build /opt/venv /opt/venv
COPY --chown=item10:item10 pyproject.toml README.md alembic.ini ./
COPY --chown=item10:item10 app ./app
COPY --chown=item10:item10 migrations ./migrations
RUN mkdir -p var && chown item10:item10 var
USER item10
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz')"
CMD ["sh", "-c", "python -m app migrate && exec uvicorn app.main:app --host 0.0.0.0 --port ${PORT} --workers ${WEB_CONCURRENCY} --no-server-header --proxy-headers"]
