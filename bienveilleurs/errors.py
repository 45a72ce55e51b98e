"""Domain errors: raised by services, turned into a page or a JSON body by one handler.

One class per row of the error table of API.md (status, code, a French message for a
person); most differ by nothing else, so they are declared as the table they are.
"""


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = "La demande est incorrecte."

    def __init__(self, message=None, *, details=None, headers=None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details or []
        self.headers = headers or {}


def _error(name, status, code, message):
    """Declare one DomainError subclass from a row of the error table."""
    return type(name, (DomainError,), {"status": status, "code": code,
                                       "default_message": message, "__module__": __name__,
                                       "__doc__": f"{status} {code}: {message}"})


BadRequest = _error("BadRequest", 400, "bad_request", "La demande est mal formée.")
Unauthorized = _error("Unauthorized", 401, "unauthorized", "Identifiants absents ou invalides.")
Forbidden = _error("Forbidden", 403, "forbidden", "Votre rôle ne permet pas cette action.")
NotFound = _error("NotFound", 404, "not_found", "Élément introuvable.")
InvalidTransition = _error(
    "InvalidTransition", 409, "invalid_transition",
    "Ce changement d'état n'est pas possible depuis l'état actuel.")
StaleVersion = _error(
    "StaleVersion", 409, "stale_version",
    "Cet élément a été modifié entre-temps ; rechargez-le avant de réessayer.")
CapacityFull = _error("CapacityFull", 409, "capacity_full",
                      "Ce bienveilleur suit déjà le nombre maximal de personnes.")
Conflict = _error("Conflict", 409, "conflict", "Conflit avec l'état actuel des données.")
ResidentErased = _error("ResidentErased", 410, "resident_erased",
                        "Les données de cette personne ont été effacées à sa demande.")
TooLarge = _error("TooLarge", 413, "too_large", "Le contenu envoyé est trop volumineux.")
ConsentRequired = _error(
    "ConsentRequired", 422, "consent_required",
    "La personne doit avoir été informée et ne pas s'être opposée à l'enregistrement de ses "
    "données.")
IdempotencyMismatch = _error("IdempotencyMismatch", 422, "idempotency_mismatch",
                             "Cet identifiant a déjà servi pour un contenu différent.")


class ValidationFailed(DomainError):
    status, code = 422, "validation_error"
    default_message = "Certaines valeurs sont invalides."

    @classmethod
    def field(cls, field, message):
        return cls(message, details=[{"field": field, "message": message}])


class Throttled(DomainError):
    status, code = 429, "throttled"
    default_message = "Trop de tentatives. Réessayez dans quelques instants."

    def __init__(self, retry_after, message=None):
        retry_after = max(1, int(retry_after + 0.999))
        super().__init__(message or f"Trop de tentatives. Réessayez dans {retry_after} secondes.",
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after
