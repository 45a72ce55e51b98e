"""Password hashing (argon2id), password policy, API token digests and device cookies."""

import hashlib
import secrets
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# The most common passwords of 12 characters or more seen in public breach corpora.
COMMON_PASSWORDS = frozenset("""
123456789012 1234567890123 12345678901234 123456123456 azertyuiopqsd azertyuiop123
motdepasse123 motdepasse1234 password1234 password12345 passwordpassword qwertyuiop123
qwertyuiopasdf 000000000000 111111111111 aaaaaaaaaaaa abcdefghijkl abc123abc123
iloveyou1234 jetaime123456 bienvenue1234 soleil123456 marseille1234 doudou123456
azertyazerty motdepassemotdepasse administrateur 1q2w3e4r5t6y 1qaz2wsx3edc4rfv
""".split())

_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password):
    return _hasher.hash(password)


def verify_password(stored_hash, password):
    """Check a password; with no stored hash, spend the same time so timing reveals nothing."""
    if not stored_hash:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash):
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password, *, email=""):
    """Return a French explanation of why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères "
                "(une phrase de passe convient très bien).")
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "Ce mot de passe est trop courant ou trop simple ; choisissez-en un autre."
    if email and lowered == email.lower():
        return "Le mot de passe ne doit pas être votre adresse e-mail."
    return None


def new_token(prefix="bvt_"):
    """Return a fresh secret (256 random bits, shown once) and the digest to store.

    API tokens carry the "bvt_" prefix; a structure's one-time link passes its own.
    """
    token = prefix + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token):
    # A fast hash is right here: tokens are 256-bit random values, not guessable passwords.
    return hashlib.sha256(token.encode("utf-8")).digest()


# --- device cookies -------------------------------------------------------------------------
# A browser that signed in to an account receives a signed cookie naming the account and a
# random nonce; its later sign-in failures count against that nonce only (OWASP, "slow down
# online guessing attacks with device cookies"). One cookie holds the last few accounts.

DEVICE_SALT = "bienveilleurs.device-cookie"
MAX_DEVICE_ACCOUNTS = 5


def new_device_nonce():
    return secrets.token_urlsafe(18)


def device_cookie_value(secret_key, devices):
    """Sign {account id: nonce} (most recent first, at most MAX_DEVICE_ACCOUNTS)."""
    entries = [[str(user_id), nonce] for user_id, nonce in devices.items()]
    return URLSafeTimedSerializer(secret_key, salt=DEVICE_SALT).dumps(
        entries[:MAX_DEVICE_ACCOUNTS])


def read_device_cookie(secret_key, value, *, max_age):
    """Return {account id: nonce} from a device cookie, or {} when absent, forged or too old."""
    if not value or len(value) > 4000:
        return {}
    try:
        entries = URLSafeTimedSerializer(secret_key, salt=DEVICE_SALT).loads(value,
                                                                            max_age=max_age)
    except BadSignature:  # SignatureExpired included
        return {}
    devices = {}
    for entry in entries if isinstance(entries, list) else []:
        try:
            user_id, nonce = uuid.UUID(entry[0]), str(entry[1])
        except (TypeError, ValueError, IndexError, AttributeError):
            continue
        if 0 < len(nonce) <= 64:
            devices[user_id] = nonce
    return devices
