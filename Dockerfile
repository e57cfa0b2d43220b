# roombot as a container: build the wheel, install it in a slim image, run `roombot serve` as a
# non-root user. Secrets come from the environment (ROOMBOT_FEISHU_APP_ID, ROOMBOT_FEISHU_APP_SECRET,
# ROOMBOT_FEISHU_ENCRYPT_KEY, ROOMBOT_FEISHU_VERIFICATION_TOKEN, ROOMBOT_STORAGE_URL), never from
# the image. See compose.yaml for roombot with PostgreSQL, and the README's "Deploying".
#
#   docker build -t roombot .
#   docker run --env-file roombot.env -p 8080:8080 roombot

FROM python:3.11-slim AS wheel
WORKDIR /src
RUN pip install --no-cache-dir build
# bot/templates is a symlink to templates/: copy both so the wheel has the cards.
COPY pyproject.toml README.md ./
COPY templates ./templates
COPY bot ./bot
# The sdist first, then the wheel from it, as tests/test_wheel.py does.
RUN python -m build --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/roombot --create-home \
        --shell /usr/sbin/nologin roombot
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/roombot-*.whl && rm -rf /tmp/dist
COPY deploy/roombot.toml /etc/roombot/roombot.toml
USER roombot
WORKDIR /var/lib/roombot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
STOPSIGNAL SIGTERM
CMD ["roombot", "serve", "--config", "/etc/roombot/roombot.toml"]
