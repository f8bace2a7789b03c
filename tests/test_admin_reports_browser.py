"""The reports page in a real Chromium, signed in as staff through the console's form:
Chart.js (from our own origin, under our CSP) draws both charts, the tables carry the
figures of the hand-built day, and the page has a print layout for paper."""
from __future__ import annotations

from playwright.sync_api import expect

from page_helpers import log_in, staff_user
from page_helpers import no_script_errors  # noqa: F401  (autouse: no script error or CSP refusal)
from test_reports import build_history

# How many pixels of a canvas are not transparent: a chart that drew something.
PAINTED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
}"""


def test_staff_see_the_charts_and_figures_and_can_print(make_app, clock, live_server, page):
    app = make_app()
    build_history(app, clock)
    server, username = live_server(app), staff_user(app)
    log_in(page, server, username)
    chart_requests = []
    page.on("request", lambda request: chart_requests.append(request.url) if "chart" in request.url else None)

    page.goto(f"{server.url}/admin/reports?location=honcho&from=2027-01-12&to=2027-01-13")
    expect(page.get_by_role("heading", name="業務統計")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-charts", "2")
    for chart in ("#chart-days", "#chart-hours"):
        canvas = page.locator(chart)
        expect(canvas).to_be_visible()
        assert canvas.evaluate(PAINTED) > 500, chart
    assert chart_requests and all(url.startswith(server.url) for url in chart_requests)  # no CDN

    totals = page.locator("#summary-table")
    expect(totals.get_by_role("row", name="受付件数: 予約なし")).to_contain_text("6")
    expect(totals.get_by_role("row", name="待ち時間(分): 中央値 / 90%値")).to_contain_text("15.0 / 35.0")
    expect(totals.get_by_role("row", name="窓口稼働率")).to_contain_text("33.3%")
    expect(page.locator("#table-hour tr", has_text="10:00–11:00")).to_contain_text("68.3%")
    expect(page.locator("#table-day tr", has_text="2027-01-13")).to_contain_text("36.0")
    expect(page.get_by_role("link", name="受付一覧をダウンロード(CSV)")).to_have_attribute(
        "href", "/api/v1/reports/tickets.csv?location=honcho&from=2027-01-12&to=2027-01-13&lang=ja")

    # The print stylesheet: served, and laying the page out for paper.
    print_rules = page.evaluate("""() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
        .filter(rule => rule instanceof CSSMediaRule && rule.media.mediaText.includes('print'))
        .map(rule => rule.cssText).join('\\n')""")
    assert "@page" in print_rules and ".no-print" in print_rules
    page.emulate_media(media="print")
    expect(page.locator(".report-form")).to_be_hidden()
    expect(page.locator(".staff-header")).to_be_hidden()
    expect(page.locator("#chart-days")).to_be_visible()
    expect(page.locator("#table-day")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator(".report-form")).to_be_visible()
