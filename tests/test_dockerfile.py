"""No Docker engine runs here: run the image's install and start steps in a clean venv."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT


def dockerfile_steps():
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(re.findall(r"^ENV (.+)$", text, re.M))))
    run = " && ".join(re.findall(r"^RUN (.+)$", text, re.M))
    installs = [step.strip() for step in run.split("&&") if step.strip().startswith("pip ")]
    cmd = re.search(r"^CMD (\[.+\])$", text, re.M).group(1)
    health = re.search(r"CMD (python -c .+)$", text, re.M).group(1)
    return env, installs, eval(cmd), health  # noqa: S307 (the Dockerfile's own JSON array)


@pytest.mark.timeout(600)
def test_image_install_and_start_steps_work_in_a_clean_venv(tmp_path):
    env_vars, installs, cmd, health = dockerfile_steps()
    assert installs == ["pip install --require-hashes -r requirements.lock",
                        "pip install --no-deps ."] and cmd == ["coalition", "run"]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    app = tmp_path / "app"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(app)], check=True)
    for install in installs:  # the image's own steps, from the lock file
        subprocess.run([str(venv / "bin" / "pip"), *shlex.split(install)[1:], "-q"], cwd=app,
                       check=True, timeout=540)
    data = tmp_path / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    env.update(env_vars)
    env.update({"PATH": f"{venv / 'bin'}:{env['PATH']}",
                "COALITION_STORE_URL": f"sqlite:///{data}/coalition.db",
                "COALITION_EMAIL_OUTBOX_DIR": str(data / "outbox"),
                "COALITION_SERVER_HOST": "127.0.0.1"})
    proc = subprocess.Popen(cmd, cwd=app, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run(shlex.split(health), env=env, capture_output=True)
            if check.returncode == 0:
                break
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "HEALTHCHECK never passed"
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
