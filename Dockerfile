# The gridcity application image (gunicorn). Map assets come from npm in a build stage, never a CDN.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/vendor_assets.sh scripts/
RUN npm ci --no-audit --no-fund && mkdir -p platform/webmap/static && bash scripts/vendor_assets.sh

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgdal32 libgeos-c1v5 libproj25 gdal-bin postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
COPY --from=assets /src/platform/webmap/static/vendor platform/webmap/static/vendor
RUN pip install --no-cache-dir .
ENV DJANGO_SETTINGS_MODULE=gridcity.settings.prod \
    GRIDCITY_STATIC_ROOT=/app/staticfiles \
    GRIDCITY_PACKAGE_DIR=/var/lib/gridcity/packages \
    GRIDCITY_IMPORT_DIR=/var/lib/gridcity/imports \
    PYTHONUNBUFFERED=1
RUN DJANGO_SECRET_KEY=collectstatic DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=postgresql://build@localhost/build \
    gridcity manage collectstatic --noinput
RUN useradd --system --home /app gridcity && mkdir -p /var/lib/gridcity/packages /var/lib/gridcity/imports && chown -R gridcity /var/lib/gridcity
USER gridcity
EXPOSE 8000
# Migrations run as the owner role, in docker-compose.yml's one-shot migrate service, not here.
CMD ["sh", "-c", "exec gunicorn gridcity.wsgi:application --bind 0.0.0.0:8000 --workers ${GRIDCITY_WORKERS:-4} --worker-class gthread --threads ${GRIDCITY_THREADS:-4} --access-logfile -"]
