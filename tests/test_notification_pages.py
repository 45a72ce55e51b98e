"""Pages: notification preferences (every role) and the administrators' notification list."""

import re

import pytest
from sqlalchemy import select

from bienveilleurs.models import Notification, NotificationPreference
from bienveilleurs.services import notifications

from .factories import make_user


def csrf(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def checked(html):
    return re.search(r'<input checked [^>]*value="([^"]+)"', html).group(1)


def test_a_relay_chooses_email_or_nothing(client_as, db):
    client = client_as("relay")
    page = client.get("/preferences/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Me prévenir par e-mail" in html and checked(html) == "email"
    response = client.post("/preferences/notifications",
                           data={"csrf_token": csrf(html), "channel": "none"})
    assert response.status_code == 303
    pref = db.scalar(select(NotificationPreference)
                     .where(NotificationPreference.user_id == client.user.id))
    db.refresh(pref)
    assert pref.email is False
    assert checked(client.get("/preferences/notifications").get_data(as_text=True)) == "none"


def test_a_bad_choice_is_refused_and_changes_nothing(client_as, db):
    client = client_as("relay")
    html = client.get("/preferences/notifications").get_data(as_text=True)
    response = client.post("/preferences/notifications",
                           data={"csrf_token": csrf(html), "channel": "sms"})
    assert response.status_code == 422
    assert db.scalar(select(NotificationPreference).where(
        NotificationPreference.user_id == client.user.id)) is None


def test_a_coordinator_turns_the_digest_off(client_as, db):
    client = client_as("coordinator")
    html = client.get("/preferences/notifications").get_data(as_text=True)
    assert "résumé quotidien" in html
    response = client.post("/preferences/notifications", data={"csrf_token": csrf(html)})
    assert response.status_code == 303
    db.expire_all()
    assert notifications.preferences(client.user).digest is False


def test_the_header_links_to_the_preferences(client_as):
    html = client_as("social_worker").get("/").get_data(as_text=True)
    assert 'href="/preferences/notifications"' in html


@pytest.mark.parametrize("role", ["relay", "coordinator", "social_worker"])
def test_only_admins_see_the_notification_list(client_as, role):
    assert client_as(role).get("/admin/notifications/").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/notifications/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_admin_lists_notifications_with_state_and_failure_and_can_requeue(client_as, db):
    user = make_user(role="relay", email="rene@test.bienveilleurs.fr")
    notifications.enqueue("referral_assigned", dedup_key="a", user=user,
                          context={"person": "Josette", "relay_name": "René"})
    notifications.enqueue("referral_assigned", dedup_key="b", email="autre@test.bienveilleurs.fr",
                          context={"person": "Marcel", "relay_name": "X"})
    db.flush()
    failed = db.scalar(select(Notification).where(Notification.dedup_key == "b"))
    failed.state, failed.attempts, failed.last_error = "failed", 8, "SMTP 550 boîte inconnue"
    db.commit()

    admin = client_as("admin")
    html = admin.get("/admin/notifications/").get_data(as_text=True)
    assert "rene@test.bienveilleurs.fr" in html and "SMTP 550 boîte inconnue" in html
    assert "Échec : 1" in html and "En attente : 1" in html
    # The body (which may name the person) is not shown to administrators.
    assert "Josette" not in html and "Marcel" not in html
    only_failed = admin.get("/admin/notifications/?etat=failed").get_data(as_text=True)
    assert "autre@test.bienveilleurs.fr" in only_failed and "rene@" not in only_failed
    assert admin.get("/admin/notifications/?etat=bogus").status_code == 400

    detail = admin.get(f"/admin/notifications/{failed.id}")
    assert detail.status_code == 200 and "Marcel" not in detail.get_data(as_text=True)
    response = admin.post(f"/admin/notifications/{failed.id}/reessayer",
                          data={"csrf_token": csrf(detail.get_data(as_text=True))})
    assert response.status_code == 303
    db.expire_all()
    assert (failed.state, failed.attempts) == ("pending", 0)
    from bienveilleurs.models import AuditEntry
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.target_id == str(failed.id))) == \
        "notification.requeued"
    assert admin.get("/admin/notifications/999999").status_code == 404
    # The admin menu shows the page.
    assert 'href="/admin/notifications/"' in admin.get("/").get_data(as_text=True)
