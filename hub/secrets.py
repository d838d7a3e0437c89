"""Secrets the hub generates for itself on first run and keeps in HUB_DATA_DIR.

The settings take a secret from the environment when it is there; only one left empty is asked of
`data_secret`. A generated value is written once (mode 0600) and reused, so webhook senders
configured with it keep working across restarts.
"""
import base64
import json
import os
import secrets
from pathlib import Path


def _generate(kind: str) -> str:
    if kind == "webhook":
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(50)


def data_secret(data_dir: Path, name: str, kind: str = "key") -> str:
    """The value stored under `name` in data_dir/secrets.json, generated and stored when missing."""
    path = data_dir / "secrets.json"
    data_dir.mkdir(parents=True, exist_ok=True)
    stored = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = _generate(kind)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        os.replace(tmp, path)
    return str(stored[name])
