import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_operations_offline(browser, live_server):
    browser.get(f"{live_server.url}/api/docs/")
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary-path"))
    )
    paths = {
        el.text.strip() for el in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert "/api/v1/ping/" in {p.replace("\u200b", "") for p in paths}
    assert len(paths) > 1
    # The page's own assets came from this server, not a CDN.
    scripts = [el.get_attribute("src") for el in browser.find_elements(By.TAG_NAME, "script")]
    external = [src for src in scripts if src and not src.startswith(live_server.url)]
    assert external == []


def test_redoc_renders_offline(browser, live_server):
    browser.get(f"{live_server.url}/api/redoc/")
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-section-id]"))
    )
    assert "Marketplace API" in browser.page_source


def test_browser_cannot_reach_other_hosts(browser):
    """The render tests above prove offline rendering only if the cut-off is real."""
    from selenium.common.exceptions import WebDriverException

    with pytest.raises(WebDriverException, match="ERR_"):
        browser.get("https://cdn.jsdelivr.net/npm/swagger-ui-dist/swagger-ui.css")


def test_swagger_ui_authorize_and_try_it_out_on_the_cart(browser, live_server):
    """A client developer's first call: log in, paste the access token into Swagger UI's
    Authorize dialog, then "Try it out" on the cart and execute it."""
    from decimal import Decimal

    import requests

    from carts.services import cart_item_add
    from tests import factories

    customer = factories.UserFactory(email="swagger.ui@example.com")
    product = factories.ProductFactory(name="Swagger lamp", price=Decimal("99.50"), stock=3)
    cart_item_add(user=customer, product_id=product.id, quantity=2)
    login = requests.post(
        f"{live_server.url}/api/v1/auth/login/",
        json={"email": customer.email, "password": factories.DEFAULT_PASSWORD},
        timeout=10,
    )
    token = login.json()["data"]["access"]

    wait = WebDriverWait(browser, 30)
    browser.get(f"{live_server.url}/api/docs/")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize"))).click()
    field = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux input")))
    field.send_keys(token)
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button.authorize").click()
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".modal-ux button.btn-done"))).click()

    operation = browser.find_element(By.ID, "operations-cart-show_cart")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".try-out__btn"))).click()
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.execute"))).click()
    status = wait.until(
        EC.visibility_of_element_located(
            (By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
        )
    )
    assert status.text.strip().startswith("200")
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    assert "Swagger lamp" in body and '"status": "success"' in body
    # Everything the page loaded came from this server.
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(live_server.url) for url in loaded), loaded


def test_redoc_loads_nothing_from_outside(browser, live_server):
    browser.get(f"{live_server.url}/api/redoc/")
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-section-id]"))
    )
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    external = [url for url in loaded if not url.startswith(live_server.url)]
    # ReDoc's bundle always asks for its logo on its CDN; the page's Content Security Policy
    # refuses it in the browser, before any request is made.
    refused = " ".join(entry["message"] for entry in browser.get_log("browser"))
    assert external == ["https://cdn.redoc.ly/redoc/logo-mini.svg"], loaded
    assert (
        "'https://cdn.redoc.ly/redoc/logo-mini.svg' violates the following Content Security "
        "Policy directive" in refused
    )
    assert "The action has been blocked" in refused
    # No empty tag section, and summaries (not operation ids) name the operations.
    assert "Check out the cart" in browser.page_source
    assert "check_out_cart" not in browser.find_element(By.TAG_NAME, "body").text
