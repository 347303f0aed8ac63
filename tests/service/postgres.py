"""A throwaway PostgreSQL for the tests: Debian's `postgresql` binaries, initdb + pg_ctl into a temporary folder,
listening only on a unix socket there. PostgreSQL refuses to run as root, so under root (CI) it runs as the
`postgres` user the Debian package creates. `start()` returns (url, stop) or raises Unavailable with the reason."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile


class Unavailable(Exception):
    pass


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if not found:
        raise Unavailable(f"{name} not found: install Debian's postgresql (`make system` does it as root)")
    return found


def start() -> tuple[str, callable]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    folder = tempfile.mkdtemp(prefix="dataforge-pg-")
    data = os.path.join(folder, "data")
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no `postgres` user to run the server as") from None
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    os.chmod(folder, 0o700)

    def run(*cmd: str) -> None:
        r = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise Unavailable(f"{os.path.basename(cmd[0])} failed: {(r.stderr or r.stdout).strip()[-500:]}")

    run(initdb, "-D", data, "-U", "dataforge", "-A", "trust", "-E", "UTF8", "--no-sync")
    run(pg_ctl, "-D", data, "-l", os.path.join(folder, "server.log"), "-w", "-t", "60", "-o",
        f"-k {folder} -c listen_addresses='' -c fsync=off -c max_connections=100", "start")

    def stop() -> None:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)

    return f"postgresql://dataforge@/postgres?host={folder}", stop
