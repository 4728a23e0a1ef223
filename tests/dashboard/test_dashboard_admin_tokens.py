"""The Admin page lists a user's tokens (never their secrets) and revokes one from its row."""

from __future__ import annotations

from worker_support import wait_for

from .conftest import person


def test_list_and_revoke_a_users_token_from_its_row(farm, page, sign_in):
    cara = person(farm.server, "cara")
    admin = farm.server.session()
    spare = admin.post(farm.server.url(f"/users/{cara.client.json('GET', '/me')['id']}/tokens"),
                       json={"label": "render script"}).json()  # fmt: skip
    sign_in(page, farm.admin)
    page.goto(f"{farm.root}/#/admin")
    user_id = cara.client.json("GET", "/me")["id"]
    page.click(f'[data-key="tokens-{user_id}"]')
    page.wait_for_selector("#user-tokens-table tbody tr[data-token]")
    rows = page.locator("#user-tokens-table tbody tr[data-token]")
    assert rows.count() == 2
    assert cara.token not in page.content() and spare["token"] not in page.content()
    row = page.locator(f'#user-tokens-table tr[data-token="{spare["id"]}"]')
    assert "render script" in row.inner_text() and "✓ active" in row.inner_text()
    row.get_by_role("button", name=f"Revoke token {spare['id']} of cara").click()
    page.locator("dialog.confirm").get_by_role("button", name="Revoke").click()
    wait_for(lambda: "⊘ revoked" in row.inner_text(), timeout=10)
    revoked = farm.server.session(spare["token"]).get(farm.server.url("/me"))
    assert revoked.status_code == 401
    assert cara.client.json("GET", "/me")["name"] == "cara"  # her other token still works
    assert page.errors == []
