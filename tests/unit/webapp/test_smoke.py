from __future__ import annotations


def test_home_and_reference(anonymous):
    assert anonymous.get("/").status_code == 200
    response = anonymous.get("/api/?format=json")
    assert response.status_code == 200
    names = [endpoint["name"] for endpoint in response.json()["endpoints"]]
    assert "SuperSearch" in names
    assert anonymous.get("/api/").status_code == 200


def test_supersearch_empty(anonymous):
    response = anonymous.get("/api/SuperSearch/")
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 0
