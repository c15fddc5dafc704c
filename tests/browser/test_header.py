"""The header in both languages and on phones (issue #13.2, #13.6): a language switch that a
signed-in user's preference keeps (a visitor's: a cookie), and below 768 px a menu button for
the navigation, so that the logo, the name, the role badge and the navigation never overlap."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

_OVERLAPS = """() => {
  const ids = ['#home-logo', '#shell-user', '#shell-role', '#nav-menu-button', '#language-switch', '#sign-out'];
  const boxes = ids.map(s => [s, document.querySelector(s)]).filter(([, e]) => e && e.offsetParent !== null)
    .map(([s, e]) => [s, e.getBoundingClientRect()]);
  const navLinks = [...document.querySelectorAll('#nav-bar a')].filter(e => e.offsetParent !== null)
    .map((e, i) => ['nav' + i, e.getBoundingClientRect()]);
  const all = boxes.concat(navLinks);
  const hits = [];
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) {
    const [a, r] = all[i], [b, q] = all[j];
    if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 && q.top < r.bottom - 1) hits.push(a + '/' + b);
  }
  const outside = all.filter(([, r]) => r.right > window.innerWidth + 1 || r.left < -1).map(([s]) => s);
  return {hits, outside, shown: all.map(([s]) => s), scroll: document.documentElement.scrollWidth - window.innerWidth};
}"""


def _check_header(page, *, narrow: bool) -> None:
    expect(page.locator("#shell-role")).to_be_visible()
    layout = page.evaluate(_OVERLAPS)
    assert layout["hits"] == [] and layout["outside"] == [], layout
    assert layout["scroll"] <= 0, layout
    assert {"#home-logo", "#shell-user", "#shell-role"} <= set(layout["shown"])
    if narrow:
        expect(page.locator("#nav-bar")).to_be_hidden()
        expect(page.locator("#nav-menu-button")).to_be_visible()
    else:
        expect(page.locator("#nav-bar")).to_be_visible()
        expect(page.locator("#nav-menu-button")).to_be_hidden()


def _reset_language(server, username: str) -> None:
    """Other tests expect the demo users in English."""
    from sqlmodel import Session, create_engine, select

    from ordertrack.db.models import User

    with Session(create_engine(server.db_url)) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.language = None
        session.add(user)
        session.commit()


def _switch(page, name: str) -> None:
    page.locator("#language-switch").click()
    page.get_by_role("option", name=name).click()
    page.wait_for_load_state("load")


ROLE_RU = {"customer": ("Customer", "Клиент"), "admin": ("Administrator", "Администратор")}


@pytest.mark.parametrize(("username", "width"), [("customer", 360), ("customer", 390), ("customer", 1440),
                                                 ("admin", 390), ("admin", 1280)])
def test_header_fits_and_switches_language(browser, server, username, width):
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 800})
    page = context.new_page()
    narrow = width < 768
    try:
        login(page, username)
        page.goto("/")
        _check_header(page, narrow=narrow)
        if narrow:
            page.locator("#nav-menu-button").click()
            menu = page.locator("#nav-menu")
            expect(menu.get_by_role("menuitem", name="Track My Orders")).to_be_visible()
            page.keyboard.press("Escape")
            expect(menu).to_be_hidden()

        _switch(page, "Русский")
        expect(page.locator("#shell-role")).to_have_text(ROLE_RU[username][1])
        expect(page.locator("#sign-out")).to_have_attribute("aria-label", "Выйти")
        _check_header(page, narrow=narrow)  # Russian labels are longer
        page.screenshot(path=str(server.log.parent / f"header-ru-{username}-{width}.png"))
        if narrow:
            page.locator("#nav-menu-button").click()
            page.get_by_role("menuitem", name="Мои заказы").click()
            page.wait_for_url("**/board")
        else:
            page.locator("#nav-bar").get_by_role("link", name="Мои заказы").click()
            page.wait_for_url("**/board")
        expect(page.locator("#shell-role")).to_have_text(ROLE_RU[username][1])

        # the preference is the user's: a new browser (no cookie) signs in to Russian
        other = browser.new_context(base_url=server.url, viewport={"width": width, "height": 800})
        try:
            second = other.new_page()
            login(second, username)
            expect(second.locator("#shell-role")).to_have_text(ROLE_RU[username][1])
        finally:
            other.close()
    finally:
        _reset_language(server, username)
        context.close()


def test_a_visitors_choice_is_a_cookie(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto("/login")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        _switch(page, "Русский")
        expect(page.get_by_role("button", name="Войти")).to_be_visible()
        assert {c["name"]: c["value"] for c in context.cookies()}.get("ot_lang") == "ru"
        page.reload()
        expect(page.get_by_role("button", name="Войти")).to_be_visible()
        page.screenshot(path=str(server.log.parent / "login-ru-390.png"))
    finally:
        context.close()
