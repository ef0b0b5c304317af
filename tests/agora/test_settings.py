import pytest

from agora.settings import SettingsError, known_env_names, load_settings


def test_defaults_serve_on_loopback_with_embedded_servers():
    settings = load_settings(environ={})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url == "" and settings.redis_url == ""
    assert settings.base_url == "http://127.0.0.1:8000"


def test_environment_variables_are_read_and_converted():
    settings = load_settings(environ={"AGORA_PORT": "9001", "AGORA_DEV": "1", "HOME": "/x"})
    assert settings.port == 9001 and settings.dev is True


def test_bad_value_names_the_variable():
    with pytest.raises(SettingsError, match="AGORA_PORT"):
        load_settings(environ={"AGORA_PORT": "eighty"})


def test_out_of_range_value_names_the_variable():
    with pytest.raises(SettingsError, match="AGORA_DB_POOL_MAX"):
        load_settings(environ={"AGORA_DB_POOL_MAX": "0"})


def test_unknown_variable_is_refused_by_name():
    with pytest.raises(SettingsError, match="AGORA_DATABSE_URL is not a known setting"):
        load_settings(environ={"AGORA_DATABSE_URL": "postgresql://x"})


def test_known_names_cover_the_urls():
    assert {"AGORA_DATABASE_URL", "AGORA_REDIS_URL", "AGORA_DATA_DIR"} <= known_env_names()
