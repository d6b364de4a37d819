"""A real gridwalk-server on loopback for the bindings tests: a fresh data directory, seeded
with the server's own admin commands, listening on a free port."""

import os
import pathlib
import re
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVER = ROOT / "target" / "debug" / "gridwalk-server"
PASSWORD = "binding-test-pw"


class TestServer:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        data = self.dir.name

        def admin(*args):
            subprocess.run([str(SERVER), "--data-dir", data, "admin", *args], check=True, capture_output=True)

        admin("add-community", "--code", "C01", "--name", "阳光社区")
        admin("add-grid", "--code", "C01-G01", "--name", "第一网格", "--parent", "C01")
        admin("add-compound", "--code", "Q1", "--name", "阳光花园", "--parent", "C01", "--grid", "C01-G01")
        admin("add-building", "--code", "B1", "--name", "1号楼", "--parent", "Q1")
        for user in ("worker.a", "worker.b"):
            admin("add-user", "--username", user, "--name", user, "--role", "grid_worker",
                  "--password", PASSWORD, "--scope", "grid:C01-G01")
        self.proc = subprocess.Popen(
            [str(SERVER), "--data-dir", data, "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        for line in self.proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.url = m.group(1)
                break
        else:
            raise RuntimeError("the server did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.dir.cleanup()
