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
    def __init__(self, env=None):
        self.dir = tempfile.TemporaryDirectory()
        self.env = dict(env or {})
        admin = self.admin

        admin("add-community", "--code", "C01", "--name", "阳光社区")
        admin("add-grid", "--code", "C01-G01", "--name", "第一网格", "--parent", "C01")
        admin("add-compound", "--code", "Q1", "--name", "阳光花园", "--parent", "C01", "--grid", "C01-G01")
        admin("add-building", "--code", "B1", "--name", "1号楼", "--parent", "Q1")
        for user in ("worker.a", "worker.b"):
            admin("add-user", "--username", user, "--name", user, "--role", "grid_worker",
                  "--password", PASSWORD, "--scope", "grid:C01-G01")
        self.serve("127.0.0.1:0")

    def admin(self, *args):
        subprocess.run([str(SERVER), "--data-dir", self.dir.name, "admin", *args], check=True,
                       capture_output=True)

    def serve(self, listen):
        self.proc = subprocess.Popen(
            [str(SERVER), "--data-dir", self.dir.name, "serve", "--listen", listen],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "RUST_LOG": "warn", **self.env},
        )
        for line in self.proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.url = m.group(1)
                break
        else:
            raise RuntimeError("the server did not start")

    def kill(self):
        """Kills the server (SIGKILL); its data and port are kept for `restart`."""
        self.proc.kill()
        self.proc.wait()

    def restart(self):
        """Starts it again on the same data and port."""
        self.serve(self.url.removeprefix("http://"))

    def revoke_tokens(self, user):
        self.admin("revoke-tokens", "--username", user)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.dir.cleanup()
