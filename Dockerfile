# One image for all five services (intake, triage, caseload, outcomes, identity).
# The service is chosen by the command: `python -m services.<name>`.
# Configuration comes only from environment variables (shared/platform/settings.py).

# NHS.UK frontend's compiled stylesheet and htmx's script (package.json / package-lock.json); only
# those files reach the image, no Node and no node_modules.
FROM node:22-slim AS assets

WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error


FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY services ./services
COPY shared ./shared
COPY referrals ./referrals
# Packaged with the pages' shared layout (package-data), found there by shared/web/assets.py for the
# self-referral pages and the staff workspace alike.
COPY --from=assets /assets/node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css \
     ./shared/web/static/vendor/
COPY --from=assets /assets/node_modules/htmx.org/dist/htmx.min.js ./shared/web/static/vendor/
# Non-editable install: the code lands in the venv's site-packages, /src is not needed at run time.
RUN pip install --upgrade pip && pip install .


FROM python:3.11-slim

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app \
    && chown app:app /app

COPY --from=build /opt/venv /opt/venv

# An empty working directory: `python -m services.<name>` imports the installed package.
WORKDIR /app
USER 10001:10001

EXPOSE 8000

CMD ["python", "-m", "services.intake"]
