"""Each environment's defaults for the outside services (tiles, address search), as API.md
says: development points at public services, production at none until the city sets one
(tiles: with a warning at start), tests at none; `none` turns a service off everywhere."""

import logging

import pytest

from bienveilleurs import create_app
from bienveilleurs.config import GEOPLATEFORME_SEARCH, OSM_TILES, ConfigError, load_config

BASE = {"DATABASE_URL": "postgresql://u@127.0.0.1:1/x", "SECRET_KEY": "k"}


def config_for(environment, **values):
    return load_config({**BASE, "BIENVEILLEURS_ENV": environment, **values})


def test_development_shows_streets_with_their_attribution_and_finds_addresses():
    config = config_for("development")
    assert config["TILE_URL"] == OSM_TILES
    assert "OpenStreetMap" in config["TILE_ATTRIBUTION"]
    assert config["GEOCODER_URL"] == GEOPLATEFORME_SEARCH
    assert config["CONFIG_WARNINGS"] == []


def test_tests_use_no_outside_service():
    config = config_for("test")
    assert config["TILE_URL"] == config["GEOCODER_URL"] == config["TILE_ATTRIBUTION"] == ""


def test_production_has_none_until_set_and_warns_about_tiles():
    config = config_for("production")
    assert config["TILE_URL"] == config["GEOCODER_URL"] == ""
    assert len(config["CONFIG_WARNINGS"]) == 1
    assert "TILE_URL" in config["CONFIG_WARNINGS"][0]
    chosen = config_for("production", TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png",
                        TILE_ATTRIBUTION="© la ville", GEOCODER_URL="https://adresse.example.org/search")
    assert chosen["CONFIG_WARNINGS"] == []
    assert chosen["TILE_ATTRIBUTION"] == "© la ville"
    assert chosen["GEOCODER_URL"] == "https://adresse.example.org/search"
    assert config_for("production", TILE_URL="none")["CONFIG_WARNINGS"] == []


def test_none_turns_a_service_off_even_in_development():
    config = config_for("development", TILE_URL="none", GEOCODER_URL="NONE")
    assert config["TILE_URL"] == config["GEOCODER_URL"] == config["TILE_ATTRIBUTION"] == ""


@pytest.mark.parametrize("name", ["TILE_URL", "GEOCODER_URL"])
def test_a_service_that_is_not_a_web_address_is_refused_at_start(name):
    with pytest.raises(ConfigError, match=name):
        config_for("development", **{name: "file:///etc/passwd"})


def test_the_production_warning_is_logged_when_the_app_starts(monkeypatch, caplog):
    for key, value in {**BASE, "BIENVEILLEURS_ENV": "production"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TILE_URL", raising=False)
    with caplog.at_level(logging.WARNING, logger="bienveilleurs"):
        create_app()
    assert any("TILE_URL" in r.getMessage() for r in caplog.records)
