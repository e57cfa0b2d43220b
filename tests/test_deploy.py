"""The deployment files: the Dockerfile, compose.yaml and the systemd unit (deploy/).

The files are checked everywhere. The image itself is built, and run against the sandbox, only
where a container engine answers; elsewhere that test is skipped, saying why.
"""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.config import SECRET_ENV, STORAGE_ENV, ConfigError, load_settings
from bot.sandbox import Sandbox
from tests.e2e.harness import free_port

REPO = Path(__file__).resolve().parent.parent
SECRETS = {**{var: f"secret-{key}" for key, var in SECRET_ENV.items()},
           STORAGE_ENV: "postgresql://roombot:pw@db:5432/roombot"}


def final_stage(dockerfile: str) -> list[str]:
    """The instructions of the last stage, continuation lines joined."""
    lines = dockerfile.replace("\\\n", " ").splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.startswith("FROM "))
    return instructions[last_from:]


def test_the_image_installs_the_built_wheel_and_serves_as_a_non_root_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "python -m build" in dockerfile  # the wheel is built from the source, in the image
    stage = final_stage(dockerfile)
    install = next(i for i, line in enumerate(stage) if re.search(r"pip install .*\.whl", line))
    user = next(i for i, line in enumerate(stage) if line.startswith("USER "))
    assert install < user and stage[user].split()[1] not in ("root", "0")
    assert stage[-1] == 'CMD ["roombot", "serve", "--config", "/etc/roombot/roombot.toml"]'
    assert "COPY deploy/roombot.toml /etc/roombot/roombot.toml" in stage
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*" and "!deploy/roombot.toml" in ignored  # no .venv, .git or secrets


def test_the_shipped_config_takes_every_secret_from_the_environment() -> None:
    config = REPO / "deploy" / "roombot.toml"
    text = config.read_text()
    assert not re.search(r"^\s*(app_id|app_secret|encrypt_key|verification_token)\s*=", text,
                         re.MULTILINE)
    settings = load_settings(config, SECRETS)
    assert settings.feishu.app_secret == SECRETS["ROOMBOT_FEISHU_APP_SECRET"]
    assert settings.feishu.verification_token == SECRETS["ROOMBOT_FEISHU_VERIFICATION_TOKEN"]
    assert settings.storage.url == SECRETS[STORAGE_ENV]
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 8080)
    with pytest.raises(ConfigError, match="ROOMBOT_FEISHU_APP_ID"):
        load_settings(config, {})


def test_compose_runs_roombot_on_postgres_with_secrets_from_the_environment() -> None:
    compose = (REPO / "compose.yaml").read_text()
    assert re.search(r"^  db:\n(    .*\n)*?    image: postgres:\d+", compose, re.MULTILINE)
    assert re.search(r"^  roombot:\n    build: \.\n", compose, re.MULTILINE)
    for var in SECRET_ENV.values():
        assert re.search(rf"^      {var}: \$\{{{var}[:}}]", compose, re.MULTILINE), var
    assert re.search(rf"^      {STORAGE_ENV}: postgresql://roombot:\$\{{POSTGRES_PASSWORD\}}@db:",
                     compose, re.MULTILINE)
    assert "condition: service_healthy" in compose and "pg_isready" in compose


def test_the_systemd_unit_runs_serve_with_secrets_from_an_environment_file() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read(REPO / "deploy" / "roombot.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("/bin/roombot serve --config /etc/roombot/roombot.toml")
    assert service["User"] == "roombot" and service["KillMode"] == "mixed"
    assert service["EnvironmentFile"] == "/etc/roombot/roombot.env"
    example = (REPO / "deploy" / "roombot.env.example").read_text()
    assert {line.split("=")[0] for line in example.splitlines() if "=" in line
            and not line.startswith("#")} == set(SECRETS)


# --- the image, where a container engine runs ------------------------------------------------


def container_engine() -> tuple[str | None, str]:
    """The engine to build with, or why there is none."""
    reasons = []
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path is None:
            continue
        done = subprocess.run([path, "info"], capture_output=True, text=True, timeout=60,
                              check=False)
        if done.returncode == 0:
            return path, ""
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        reasons.append(f"{name} is installed but no container engine answers "
                       f"(`{name} info` exited {done.returncode}: {said})")
    return None, "; ".join(reasons) or "neither docker nor podman is installed"


@pytest.fixture(scope="module")
def image() -> Iterator[tuple[str, str]]:
    """(engine, tag) of the image built from this checkout; removed afterwards."""
    engine, why = container_engine()
    if engine is None:
        pytest.skip(f"the image is built only where a container engine runs: {why}")
    tag = f"roombot-test:{uuid.uuid4().hex[:8]}"
    built = subprocess.run([engine, "build", "-t", tag, str(REPO)], capture_output=True,
                           text=True, timeout=1200, check=False)
    if built.returncode != 0:
        pytest.fail(f"{engine} build failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")
    yield engine, tag
    subprocess.run([engine, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)


def test_the_image_answers_a_message_as_a_non_root_user(image: tuple[str, str], sandbox: Sandbox,
                                                        tmp_path: Path) -> None:
    engine, tag = image
    uid = subprocess.run([engine, "run", "--rm", "--entrypoint", "id", tag, "-u"],
                         capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    assert uid not in ("", "0")
    port = free_port()
    config = tmp_path / "roombot.toml"
    config.write_text(sandbox.config_toml().replace("app_id", "# app_id").replace(
        "app_secret", "# app_secret") + f'\n[server]\nhost = "127.0.0.1"\nport = {port}\n'
        "worker_processes = 1\n")
    config.chmod(0o644)
    name = f"roombot-test-{uuid.uuid4().hex[:8]}"
    subprocess.run([engine, "run", "-d", "--name", name, "--network", "host",
                    "-v", f"{config}:/etc/roombot/roombot.toml:ro",
                    "-e", f"ROOMBOT_FEISHU_APP_ID={sandbox.app_id}",
                    "-e", f"ROOMBOT_FEISHU_APP_SECRET={sandbox.app_secret}", tag],
                   capture_output=True, text=True, timeout=120, check=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the container never answered /healthz"
            time.sleep(0.5)
        push = sandbox.pusher(f"{url}/webhook/event").message("who booked Mercury today")
        assert push.status == 200
        assert sandbox.wait_for_sent(1, timeout=60)[-1].reply_to == push.message_id
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, timeout=120, check=False)
