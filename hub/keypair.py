"""The sandbox's own Salesforce connected app: an RSA key pair and self-signed certificate the hub
generates into HUB_DATA_DIR on first run, for the OAuth 2.0 JWT bearer flow.

The hub signs its login assertions with the private key; the Salesforce emulator trusts the
certificate, as a real connected app trusts the certificate uploaded to it.
"""
import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def data_keypair(data_dir: Path, name: str) -> tuple[Path, Path]:
    """Paths of `{name}.key` and `{name}.crt` (PEM, mode 0600) in data_dir, made when missing.

    Processes starting together may race: the key is linked into place only if absent (the first
    one wins), and the certificate is always made from the key on disk, so the pair matches."""
    key_path, cert_path = data_dir / f"{name}.key", data_dir / f"{name}.crt"
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = _write_private(data_dir / f".{name}.{os.getpid()}.key", pem)
        try:
            os.link(tmp, key_path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if not cert_path.exists():
        signing_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(signing_key, rsa.RSAPrivateKey)  # the key generated above
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Order Sync Hub sandbox")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(signing_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=3650)).sign(signing_key, hashes.SHA256()))
        tmp = _write_private(data_dir / f".{name}.{os.getpid()}.crt",
                             cert.public_bytes(serialization.Encoding.PEM))
        os.replace(tmp, cert_path)
    return key_path, cert_path


def _write_private(path: Path, data: bytes) -> Path:
    """Write `path` with mode 0600, as every file of the hub's data directory is."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path
