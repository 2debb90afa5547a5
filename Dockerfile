# Production image: gunicorn + whitenoise for web; the same image runs the
# Celery worker and beat (see docker-compose.yml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static ./static
RUN npm run build:css

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production
WORKDIR /app
RUN useradd --create-home --uid 10001 techmap
COPY pyproject.toml ./
COPY core ./core
COPY techmap ./techmap
COPY accounts ./accounts
COPY suppliers ./suppliers
COPY engagement ./engagement
COPY reporting ./reporting
COPY innovation_den ./innovation_den
RUN pip install .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY --from=assets /app/static/build ./static/build
COPY --from=assets /app/node_modules/govuk-frontend ./node_modules/govuk-frontend
# collectstatic needs settings to load; these build-time values never reach runtime.
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgres://build/build \
    REDIS_URL=redis://build:6379/0 STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --no-input -v 0
# Metrics of every gunicorn worker are summed through files here (techmap/gunicorn_conf.py);
# the secrets directory holds the generated SECRET_KEY when none is given (docker-compose.yml).
RUN mkdir -p /tmp/prometheus /run/techmap-secrets \
    && chown techmap:techmap /tmp/prometheus /run/techmap-secrets
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus WEB_CONCURRENCY=3
USER techmap
EXPOSE 8000
# /healthz answers on any Host (techmap.middleware.OperationsMiddleware), so the container's
# own address works here although ALLOWED_HOSTS lists only the public name.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# WEB_CONCURRENCY gunicorn workers on 0.0.0.0:8000, JSON request log: techmap/gunicorn_conf.py.
CMD ["gunicorn", "techmap.wsgi", "-c", "python:techmap.gunicorn_conf"]
