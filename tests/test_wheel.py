"""The built wheel answers on its own: installed in a fresh virtualenv, run outside the source tree."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.render.text import card_to_text
from bot.sandbox import Sandbox

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
ROOM = "Mercury"  # a room of the sandbox tenant (seed 7, 60 rooms), the one `roombot ask` embeds
QUESTION = f"who booked {ROOM} today"


@dataclass(frozen=True)
class Installed:
    """A virtualenv outside the repo with the wheel installed, and how to run its commands."""

    venv: Path
    env: dict[str, str]

    def command(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.command(name), *args], check=False, cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=120)


def clean_env() -> dict[str, str]:
    """This environment without anything that points Python at the repo, a venv or a config."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("ROOMBOT_")}
    return {**env, "ROOMBOT_LOG_LEVEL": "WARNING"}


def check(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run a set-up step; fail with its output when it fails."""
    done = subprocess.run(args, check=False, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def reservers_today(sandbox: Sandbox) -> list[str]:
    """Who booked ROOM today in the sandbox tenant, which has the same seed as the embedded one."""
    today = datetime.now(TZ).date()
    return [r.reserver for r in sandbox.tenant.reservations_on(today) if r.room_name == ROOM]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"roombot serve did not become healthy (exit {process.poll()}):\n"
                + stderr.read_text(errors="replace")[-3000:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the whole process group: the server and its worker processes."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the sdist and, from it, the wheel (so stale files in the repo's build/ cannot leak in),
    then install the wheel, with its dependencies from the package index, in a new virtualenv."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert not tmp.resolve().is_relative_to(REPO)
    env = clean_env()
    check([sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(REPO)], tmp, env)
    [wheel] = (tmp / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "bot/templates/who_booked.json.j2" in archive.namelist()
        assert "bot/dashboard/pages/admin_overview.html" in archive.namelist()  # the dashboard's pages
        assert "bot/dashboard/static/vchart.min.js" in archive.namelist()  # its charts, no CDN
    # No pip inside the new venv (ensurepip alone takes seconds): this venv's pip installs into it.
    check([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], tmp, env)
    check([sys.executable, "-m", "pip", "--python", str(tmp / "venv" / "bin" / "python"),
           "install", "-q", str(wheel)], tmp, env)
    return Installed(tmp / "venv", env)


def test_installed_package_is_imported_from_the_virtualenv(installed: Installed,
                                                           tmp_path: Path) -> None:
    done = installed.run("python", "-c", "import bot, sysconfig; "
                         "print(bot.__file__); print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module, site_packages = (Path(line).resolve() for line in done.stdout.splitlines())
    assert module == site_packages / "bot" / "__init__.py"
    assert module.is_relative_to(installed.venv.resolve())
    assert not module.is_relative_to(REPO)


def test_installed_ask_names_the_room_and_its_reservers(installed: Installed,
                                                       shared_sandbox: Sandbox,
                                                       tmp_path: Path) -> None:
    done = installed.run("roombot", "ask", QUESTION, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"━━ Who booked {ROOM} "), done.stdout + done.stderr
    for reserver in reservers_today(shared_sandbox):
        assert reserver in done.stdout, done.stdout


@pytest.fixture
def served(installed: Installed, sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The installed `roombot serve` as its own process group against the sandbox; (url, stderr)."""
    port = free_port()
    config = tmp_path / "roombot.toml"
    config.write_text(sandbox.config_toml() + f"""
[server]
host = "127.0.0.1"
port = {port}
worker_processes = 1

[storage]
url = "sqlite:///{tmp_path / 'serve.db'}"
""")
    stderr = tmp_path / "serve.stderr"
    with stderr.open("wb") as err:
        process = subprocess.Popen([installed.command("roombot"), "serve", "--config", str(config)],
                                   cwd=tmp_path, env=installed.env, stdout=subprocess.DEVNULL,
                                   stderr=err, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, stderr)
        yield url, stderr
    finally:
        stop(process)


def test_installed_serve_answers_a_pushed_message(sandbox: Sandbox,
                                                  served: tuple[str, Path]) -> None:
    url, stderr = served
    push = sandbox.pusher(f"{url}/webhook/event").message(QUESTION)
    assert push.status == 200, stderr.read_text(errors="replace")[-3000:]
    try:
        [answer] = sandbox.wait_for_sent(1, timeout=60)
    except TimeoutError as exc:
        pytest.fail(f"{exc}\nroombot serve stderr:\n" + stderr.read_text(errors="replace")[-3000:])
    text = str(card_to_text(answer.content))
    assert text.startswith(f"━━ Who booked {ROOM} "), text + stderr.read_text(errors="replace")
    for reserver in reservers_today(sandbox):
        assert reserver in text, text
