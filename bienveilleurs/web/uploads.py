"""A file uploaded for a preview, waiting server-side until it is confirmed or cancelled.

It sits in a folder named by a random token that only the session knows (never a path in a
form field), under IMPORT_UPLOAD_DIR; stale folders are removed after a day. Used by the
directory imports and the import of relays.
"""

import os
import secrets
import shutil
import tempfile
import time

from werkzeug.utils import secure_filename

from ..config import setting

STALE_AFTER_S = 24 * 3600


def storage():
    folder = (setting("IMPORT_UPLOAD_DIR")
              or os.path.join(tempfile.gettempdir(), "bienveilleurs-imports"))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def _token_ok(token):
    return bool(token) and token.replace("-", "").replace("_", "").isalnum()


def pending_path(pending):
    """The stored file of a pending upload, or None (the token names its folder)."""
    token = pending.get("token", "") if pending else ""
    if not _token_ok(token):
        return None
    path = os.path.join(storage(), token, pending.get("filename", ""))
    return path if os.path.isfile(path) else None


def discard(pending):
    token = (pending or {}).get("token", "")
    if _token_ok(token):
        shutil.rmtree(os.path.join(storage(), token), ignore_errors=True)


def remove_stale():
    folder, now = storage(), time.time()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > STALE_AFTER_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def keep(upload, **extra):
    """Store an uploaded file (a werkzeug FileStorage); return what the session holds."""
    remove_stale()
    token = secrets.token_urlsafe(24)
    filename = secure_filename(upload.filename or "") or "import"
    os.makedirs(os.path.join(storage(), token), mode=0o700)
    upload.save(os.path.join(storage(), token, filename))
    return {"token": token, "filename": filename, **extra}
