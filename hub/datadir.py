"""HUB_DATA_DIR holds the SQLite database, generated secrets and the logs: only the hub's own user
may read it. The directory is kept 0700 and the hub creates its files there 0600, whatever the
process umask (SQLite's -wal and -shm files take the database file's mode)."""
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


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 unless it exists, so whoever writes it next keeps that mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path
