from tests.agora.lti.conftest import launch, login
from tests.agora.lti.platform import new_key


async def test_platform_jwks_is_fetched_once_for_many_launches(client, platform):
    for _ in range(3):
        r = await login(client, platform)
        response = await launch(client, r.state, platform.id_token(r.nonce), r.cookie)
        assert response.status_code == 200
    assert platform.jwks_fetches == 1


async def test_platform_key_rotation_is_picked_up_by_one_refetch(client, platform):
    r = await login(client, platform)
    assert (await launch(client, r.state, platform.id_token(r.nonce), r.cookie)).status_code == 200
    rotated = new_key("platform-key-2")
    platform.keys = [rotated, *platform.keys]
    r = await login(client, platform)
    token = platform.id_token(r.nonce, key=rotated)
    assert (await launch(client, r.state, token, r.cookie)).status_code == 200
    assert platform.jwks_fetches == 2
    # The old key still works from the refreshed cache, without another fetch.
    r = await login(client, platform)
    token = platform.id_token(r.nonce, key=platform.keys[1])
    assert (await launch(client, r.state, token, r.cookie)).status_code == 200
    assert platform.jwks_fetches == 2


async def test_token_without_kid_is_accepted_only_when_the_jwks_has_one_key(
    client, platform, redis
):
    import time

    from joserfc import jwt

    from agora.lti.platform_keys import cache_key

    def without_kid(nonce: str) -> str:
        claims = jwt.decode(platform.id_token(nonce), platform.key).claims
        claims["iat"] = int(time.time())
        return jwt.encode({"alg": "RS256"}, claims, platform.key, algorithms=["RS256"])

    r = await login(client, platform)
    assert (await launch(client, r.state, without_kid(r.nonce), r.cookie)).status_code == 200
    platform.keys.append(new_key("second"))
    await redis.delete(cache_key(platform.platform_id))
    r = await login(client, platform)
    response = await launch(client, r.state, without_kid(r.nonce), r.cookie)
    assert response.status_code == 400 and "unknown key" in response.text


async def test_unreachable_platform_jwks_is_a_clear_error(client, conn, platform):
    await conn.execute(
        "UPDATE platforms SET jwks_url = 'http://127.0.0.1:1/jwks' WHERE id = $1",
        platform.platform_id,
    )
    r = await login(client, platform)
    response = await launch(client, r.state, platform.id_token(r.nonce), r.cookie)
    assert response.status_code == 502
    assert "could not be fetched" in response.text
