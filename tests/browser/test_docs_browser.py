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
