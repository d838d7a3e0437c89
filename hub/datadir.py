"""HUB_DATA_DIR holds the SQLite database, generated secrets and the logs: only the hub's own user
may read it. The directory is kept 0700, and the hub keeps its files there 0600 whatever the
process umask (the log handler, the key pair and secrets create theirs so; SQLite's files are
closed to others when the hub connects: syncapp.apps.keep_sqlite_private)."""
import os
import stat
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create `path` (mode 0700), or take group and other access away from it when it is ours."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077 and path.stat().st_uid == os.getuid():
        os.chmod(path, mode & 0o700)
    return path

