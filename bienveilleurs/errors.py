"""Domain errors: raised by services, turned into a page or a JSON body by one handler."""


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = "La demande est incorrecte."

    def __init__(self, message=None, *, details=None, headers=None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details or []
        self.headers = headers or {}


class BadRequest(DomainError):
    status, code = 400, "bad_request"
    default_message = "La demande est mal formée."


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"
    default_message = "Identifiants absents ou invalides."


class Forbidden(DomainError):
    status, code = 403, "forbidden"
    default_message = "Votre rôle ne permet pas cette action."


class NotFound(DomainError):
    status, code = 404, "not_found"
    default_message = "Élément introuvable."


class InvalidTransition(DomainError):
    status, code = 409, "invalid_transition"
    default_message = "Ce changement d'état n'est pas possible depuis l'état actuel."


class StaleVersion(DomainError):
    status, code = 409, "stale_version"
    default_message = "Cet élément a été modifié entre-temps ; rechargez-le avant de réessayer."


class CapacityFull(DomainError):
    status, code = 409, "capacity_full"
    default_message = "Ce bienveilleur suit déjà le nombre maximal de personnes."


class Conflict(DomainError):
    status, code = 409, "conflict"
    default_message = "Conflit avec l'état actuel des données."


class ResidentErased(DomainError):
    status, code = 410, "resident_erased"
    default_message = "Les données de cette personne ont été effacées à sa demande."


class TooLarge(DomainError):
    status, code = 413, "too_large"
    default_message = "Le contenu envoyé est trop volumineux."


class ValidationFailed(DomainError):
    status, code = 422, "validation_error"
    default_message = "Certaines valeurs sont invalides."

    @classmethod
    def field(cls, field, message):
        return cls(message, details=[{"field": field, "message": message}])


class ConsentRequired(DomainError):
    status, code = 422, "consent_required"
    default_message = ("La personne doit avoir été informée et ne pas s'être opposée "
                       "à l'enregistrement de ses données.")


class IdempotencyMismatch(DomainError):
    status, code = 422, "idempotency_mismatch"
    default_message = "Cet identifiant a déjà servi pour un contenu différent."


class Throttled(DomainError):
    status, code = 429, "throttled"
    default_message = "Trop de tentatives. Réessayez dans quelques instants."

    def __init__(self, retry_after, message=None):
        retry_after = max(1, int(retry_after + 0.999))
        super().__init__(message or f"Trop de tentatives. Réessayez dans {retry_after} secondes.",
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after
