import pytest


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get("/connexion/")
    assert response.status_code == 200
    assert "Connexion" in response.content.decode()


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_touraine_world_builds(touraine):
    assert touraine.own.caf == touraine.caf
    assert touraine.advisor.memberships.get().collectivite == touraine.own
