"""SQLAlchemy models. They never commit: services own the transactions."""

from .accounts import ROLE_LABELS, ApiToken, LoginThrottle, Role, User, coordinator_territories
from .territories import Territory

__all__ = ["ApiToken", "LoginThrottle", "ROLE_LABELS", "Role", "Territory", "User",
           "coordinator_territories"]
