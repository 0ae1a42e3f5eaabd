from __future__ import annotations


def test_pages_render_for_admin(live):
    client = live.login("admin")
    for path in [
        "/",
        "/journey",
        "/themes",
        "/verbatims",
        "/cases",
        "/admin/users",
        "/admin/audit",
        f"/cases/{live.seeded.case_a}",
    ]:
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.text[:2000])
