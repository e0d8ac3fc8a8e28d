"""HMAC-SHA256 signatures of the checksum files of a stored cut, with a key held outside the data folder.

A checksum file alone shows accidental damage only: whoever edits a value can recompute the checksum. Each part
of a cut therefore carries `checksums.sig`, an HMAC over the cut id, the part's name, the SHA-256 of its
`checksums.json` and (for the clinical part) of `manifest.json`. The key is `$DSMB_CUT_SIGNING_KEY`, else the
server's `$DSMB_SECRET_KEY`, else (outside production) the key the server generates into
`<instance>/secret_key`: the loader (CLI) and the web app find the same key the same way. The key actually used
is derived from that secret for this one purpose, so a signature never doubles as a session cookie signature.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from dashboard.config import default_instance_path

SIGNATURE_FILE = "checksums.sig"
KEY_ENV = "DSMB_CUT_SIGNING_KEY"
_PURPOSE = b"dsmb cut checksums v1"
VERSION = 1


class SigningKeyError(RuntimeError):
    """No usable key to sign or verify cut checksums."""


def _production() -> bool:
    return os.environ.get("DSMB_PRODUCTION") == "1"


def instance_secret(path: Path) -> str:
    """The key the server keeps in `<instance>/secret_key` (`auth.security` reads it through this function:
    whichever of the loader and the server starts first makes it, race-free). Kept apart from the
    auth package so that loading a cut does not import the web server."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            os.write(fd, secrets.token_hex(32).encode("ascii"))
            os.fsync(fd)
            os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise SigningKeyError(f"{path} is empty; delete it to have a new key generated")
    return key


def signing_secret() -> str:
    """The secret the signing key derives from: $DSMB_CUT_SIGNING_KEY, $DSMB_SECRET_KEY, else the instance key."""
    secret = os.environ.get(KEY_ENV) or os.environ.get("DSMB_SECRET_KEY")
    if secret and _production():
        from dashboard.auth.security import secret_key_weakness   # the server's own rule for its key

        weakness = secret_key_weakness(secret)
        if weakness:
            raise SigningKeyError(f"the key that signs cut checksums is refused in production: {weakness}")
    if secret:
        return secret
    if _production():
        raise SigningKeyError(f"no key to sign or verify cut checksums: set {KEY_ENV} or DSMB_SECRET_KEY")
    return instance_secret(default_instance_path() / "secret_key")


def signing_key() -> bytes:
    """The key of cut signatures, derived from `signing_secret()` for this purpose only."""
    return hmac.new(signing_secret().encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def signature(key: bytes, cut_id: str, part: str, checksums: bytes, manifest: bytes | None) -> str:
    """HMAC-SHA256 (hex) binding the cut id, the part and the SHA-256 of its checksum file (and manifest)."""
    lines = [f"v{VERSION}", cut_id, part, hashlib.sha256(checksums).hexdigest(),
             hashlib.sha256(manifest).hexdigest() if manifest is not None else "-"]
    return hmac.new(key, "\n".join(lines).encode("utf-8"), hashlib.sha256).hexdigest()


def signature_text(key: bytes, cut_id: str, part: str, checksums: bytes, manifest: bytes | None) -> str:
    """The content of a `checksums.sig` file."""
    return json.dumps({"version": VERSION, "algorithm": "HMAC-SHA256", "covers_manifest": manifest is not None,
                       "hmac": signature(key, cut_id, part, checksums, manifest)}, indent=1, sort_keys=True)


def is_valid(text: str, key: bytes, cut_id: str, part: str, checksums: bytes, manifest: bytes | None) -> bool:
    """Whether a `checksums.sig` content signs exactly these bytes (constant-time comparison)."""
    try:
        stored = json.loads(text)
        claimed = str(stored["hmac"])
    except (ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(claimed, signature(key, cut_id, part, checksums, manifest))
