"""Load check of `dataforge serve`: N clients each upload D datasets and submit a check job for each, concurrently,
against one server (SQLite, 2 workers by default). Reports the API's p50/p95 latency per route while the jobs run,
the jobs completed, and that nothing was lost (every upload has a version, every job ends).

    .venv/bin/python bench/service_load.py [--clients 8] [--datasets 20] [--workers 2] [--records 20] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def records(client: int, n: int) -> list[bytes]:
    lines = [x for x in (ROOT / "sample_data" / "chat_tr.jsonl").read_bytes().splitlines() if x]
    return [lines[(client * 7 + i) % len(lines)] for i in range(n)]


def dataset(client: int, d: int, n: int) -> bytes:
    """Distinct bytes per (client, dataset): the sample's records, one of them numbered."""
    recs = [json.loads(x) for x in records(client, n)]
    recs[0]["messages"][0]["content"] += f" (istemci {client}, veri {d})"
    return ("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n").encode()


def client_work(url: str, token: str, c: int, args: argparse.Namespace, lat: dict, out: dict) -> None:
    def timed(kind: str, fn):  # noqa: ANN001
        t = time.perf_counter()
        r = fn()
        lat.setdefault(kind, []).append(time.perf_counter() - t)
        return r

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as h:
        for d in range(args.datasets):
            name = f"c{c}-d{d}"
            body = {"file": (f"{name}.jsonl", dataset(c, d, args.records))}
            r = timed("upload", lambda n=name, b=body: h.post(f"/v1/datasets/{n}/versions", files=b))
            r.raise_for_status()
            vid = r.json()["id"]
            out["uploads"].append((token, name, vid))
            r = timed("submit", lambda v=vid: h.post("/v1/jobs", json={"kind": "check", "inputs": [v]}))
            r.raise_for_status()
            out["jobs"].append((token, r.json()["id"]))
            timed("get_job", lambda: h.get(f"/v1/jobs/{out['jobs'][-1][1]}"))
        pending = [j for t, j in out["jobs"] if t == token]
        while pending:  # poll like a script would: this is API latency while the workers are busy
            pending = [j for j in pending
                       if timed("get_job", lambda j=j: h.get(f"/v1/jobs/{j}")).json()["state"] in ("queued",
                                                                                                  "running")]
            time.sleep(0.5)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--datasets", type=int, default=20)
    p.add_argument("--records", type=int, default=20, help="records per dataset")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--db", help="postgresql://... (default: SQLite under a temporary home)")
    p.add_argument("--keep", action="store_true", help="keep the temporary home (database, store, server.log)")
    args = p.parse_args()
    home = tempfile.mkdtemp(prefix="dataforge-load-")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    db = ["--db", args.db] if args.db else []
    tokens = []
    for c in range(args.clients):  # one team per client: isolation is exercised too
        r = subprocess.run([sys.executable, "-m", "dataforge", "serve", "token", "create", "--team", f"team{c}",
                            "--home", home, *db], env=env, capture_output=True, text=True, check=True)
        tokens.append(r.stdout.strip().splitlines()[-1])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(os.path.join(home, "server.log"), "wb")
    srv = subprocess.Popen([sys.executable, "-m", "dataforge", "serve", "--home", home, "--port", str(port),
                            "--workers", str(args.workers), *db], env=env, stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        lat: dict[str, list[float]] = {}
        out = {"uploads": [], "jobs": []}
        start = time.perf_counter()
        threads = [threading.Thread(target=client_work, args=(url, tokens[c], c, args, lat, out))
                   for c in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        states: dict[str, int] = {}
        versions_found = 0
        for token, name, vid in out["uploads"]:
            r = httpx.get(f"{url}/v1/datasets/{name}/versions/{vid}", headers={"Authorization": f"Bearer {token}"})
            versions_found += r.status_code == 200 and r.json()["id"] == vid
        seconds = []
        for token, jid in out["jobs"]:
            j = httpx.get(f"{url}/v1/jobs/{jid}", headers={"Authorization": f"Bearer {token}"}).json()
            states[j["state"]] = states.get(j["state"], 0) + 1
            seconds.append(j["seconds"] or 0)
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(60)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    n = args.clients * args.datasets
    print(f"{args.clients} clients x {args.datasets} datasets ({args.records} records each), {args.workers} workers, "
          f"{'PostgreSQL' if args.db else 'SQLite'}: wall {wall:.1f} s")
    print(f"{'route':<8} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, xs in sorted(lat.items()):
        print(f"{kind:<8} {len(xs):>6} {1000 * statistics.median(xs):>8.1f} {1000 * pct(xs, 95):>8.1f} "
              f"{1000 * max(xs):>8.1f}")
    print(f"uploads {len(out['uploads'])}/{n}, versions found {versions_found}/{n}; jobs submitted "
          f"{len(out['jobs'])}/{n}, ended: {states}; check job seconds: median {statistics.median(seconds):.2f}, "
          f"p95 {pct(seconds, 95):.2f}; throughput {len(out['jobs']) / wall:.2f} jobs/s")
    lost = versions_found != n or len(out["jobs"]) != n or states.get("succeeded", 0) != n
    print("nothing lost" if not lost else "LOST: see above")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
