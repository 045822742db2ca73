"""Runs the real `resilient-circuits` CLI (customize, selftest, run) as subprocesses against the sandboxes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .sandbox import SoarSandbox

CLI = [sys.executable, "-m", "resilient_circuits.bin.resilient_circuits_cmd"]


def write_app_config(directory: str | os.PathLike, soar: SoarSandbox, slack_api_url: str, *,
                     api_token: str = "xoxb-sandbox-token", num_workers: int = 10,  # noqa: S107 - sandbox token
                     fn_slack: dict[str, str] | None = None, name: str = "app.config",
                     api_key: tuple[str, str] | None = None, stomp_port: int | None = None) -> Path:
    """Write an app.config for resilient-circuits and fn_slack into `directory` and return its path
    (`api_key` is (id, secret) of a key added with `soar.add_api_key`; default the sandbox's own;
    `stomp_port` another way to the broker, such as a `relay.StompPath`'s port)."""
    directory = Path(directory)
    logdir = directory / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    # result_user_info = false as `resilient-circuits config -c` writes it for a new installation; give
    # fn_slack={"result_user_info": None} for a section without the key (an app.config of fn_slack 2.x).
    section = {"api_token": api_token, "slack_api_url": slack_api_url, "username": "SOAR",
               "result_user_info": "false"}
    section.update(fn_slack or {})
    text = soar.app_config_section(str(logdir), num_workers=num_workers, api_key=api_key,
                                   stomp_port=stomp_port)
    text += "\n[fn_slack]\n" + "".join(f"{key} = {value}\n" for key, value in section.items()
                                        if value is not None)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _env(config: Path, lock_name: str) -> dict[str, str]:
    env = dict(os.environ)
    # slack_sdk does not honour NO_PROXY; the sandboxes are on 127.0.0.1.
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(key, None)
    env["APP_CONFIG_FILE"] = str(config)
    env["APP_LOCK_FILE"] = str(config.parent / lock_name)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class CliResult:
    command: list[str]
    returncode: int
    output: str
    elapsed: float


def run_cli(config: Path, *args: str, timeout: float = 120.0) -> CliResult:
    """Run one `resilient-circuits` command to completion (customize -y, selftest ...)."""
    started = time.monotonic()
    proc = subprocess.run([*CLI, *args], env=_env(config, f"{args[0]}.lock"), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    return CliResult([*args], proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


def behind_by(seconds: int) -> dict[str, str]:
    """The environment that sets a process's wall clock ``seconds`` behind the machine's (libfaketime, from
    the Python package of that name): another integration server whose clock is off."""
    import libfaketime  # noqa: PLC0415 - only the tests that set a clock off need it

    library = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    if not library.exists():
        raise RuntimeError(f"libfaketime's library is not at {library}")
    return {"LD_PRELOAD": str(library), "FAKETIME": f"-{int(seconds)}", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "DONT_FAKE_MONOTONIC": "1"}


class CircuitsProcess:
    """One `resilient-circuits run` process with its own lock file and log file."""

    def __init__(self, config: Path, name: str = "run", env: dict[str, str] | None = None) -> None:
        self.config = config
        self.name = name
        self.env = env or {}   # added to the process's environment (say, a clock set off with libfaketime)
        self.log_path = config.parent / f"{name}.out"
        self.proc: subprocess.Popen | None = None

    def start(self) -> CircuitsProcess:
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes to it until it ends
        self.proc = subprocess.Popen([*CLI, "run", "--config-file", str(self.config)],
                                     env={**_env(self.config, f"{self.name}.lock"), **self.env}, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 60.0) -> bool:
        """Wait until `text` appears in the process output (False if it never does or the process ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            if not self.running():
                return text in self.log()
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 20.0) -> int | None:
        """Ask the process to stop (SIGTERM), then kill it if it does not."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def kill(self) -> int | None:
        """End the process at once (SIGKILL), as a crash or an OOM kill would."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(10)
