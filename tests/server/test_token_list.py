"""`GET /users/{id}/tokens`: an admin lists a user's tokens, never their secrets."""

from __future__ import annotations

from server_harness import RunningServer


def test_an_admin_lists_a_users_tokens_without_secrets(server: RunningServer) -> None:
    admin = server.session()
    user_id = admin.post(server.url("/users"), json={"name": "ann"}).json()["id"]
    issued = [
        admin.post(server.url(f"/users/{user_id}/tokens"), json={"label": label}).json()
        for label in ("laptop", "render script", "panel")
    ]
    admin.delete(server.url(f"/tokens/{issued[1]['id']}"))
    answer = admin.get(server.url(f"/users/{user_id}/tokens"))
    assert answer.status_code == 200, answer.text
    tokens = answer.json()["tokens"]
    assert [t["label"] for t in tokens] == ["panel", "render script", "laptop"]
    assert [t["revoked_at"] is not None for t in tokens] == [False, True, False]
    for t in tokens:
        assert set(t) == {"id", "label", "created_at", "revoked_at"}
    for secret in (i["token"] for i in issued):
        assert secret not in answer.text and secret[4:20] not in answer.text
    first = admin.get(server.url(f"/users/{user_id}/tokens"), params={"limit": 2}).json()
    assert len(first["tokens"]) == 2 and first["next"] == issued[1]["id"]
    rest = admin.get(
        server.url(f"/users/{user_id}/tokens"), params={"limit": 2, "before": first["next"]}
    ).json()
    assert [t["label"] for t in rest["tokens"]] == ["laptop"] and rest["next"] is None


def test_only_admins_list_tokens(server: RunningServer) -> None:
    admin = server.session()
    user_id = admin.post(server.url("/users"), json={"name": "ann"}).json()["id"]
    token = admin.post(server.url(f"/users/{user_id}/tokens"), json={}).json()["token"]
    ann = server.session(token)
    assert ann.get(server.url(f"/users/{user_id}/tokens")).status_code == 403
    assert admin.get(server.url("/users/999999/tokens")).status_code == 404
    assert admin.get(server.url(f"/users/{user_id}/tokens"), params={"limit": 0}).status_code == 400
