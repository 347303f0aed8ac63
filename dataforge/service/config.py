"""Settings of one service instance, shared by the API process and the workers (passed on their command line)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class ServiceConfig:
    home: str
    db_url: str
    # uploads above this are refused with 413 while streaming; 1 GiB fits every SFT file we have seen
    max_upload_bytes: int = 1 << 30
    # a running job whose worker has not written a heartbeat for this long is failed as "worker died";
    # workers beat every second, so 15 s tolerates a busy machine without leaving a dead job running long
    heartbeat_timeout: float = 15.0

    @property
    def store(self) -> str:
        return os.path.join(self.home, "store")

    @classmethod
    def from_env(cls, home: str, db_url: str | None) -> ServiceConfig:
        from dataforge.service.db import default_url

        cfg = cls(home=os.path.abspath(home), db_url=db_url or default_url(home))
        if os.environ.get("DATAFORGE_MAX_UPLOAD_BYTES"):
            cfg.max_upload_bytes = int(os.environ["DATAFORGE_MAX_UPLOAD_BYTES"])
        if os.environ.get("DATAFORGE_HEARTBEAT_TIMEOUT"):
            cfg.heartbeat_timeout = float(os.environ["DATAFORGE_HEARTBEAT_TIMEOUT"])
        return cfg
