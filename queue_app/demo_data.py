"""The demo city of DOMAIN.md: places, counters, the eight procedures, the calendar.

``seed_demo`` creates what is missing and leaves what exists alone, so running it
twice changes nothing (and an administrator's later edits survive a re-run).
"""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from .models import CalendarWindow, Counter, Location, OpeningHours, Service, StaffedHour

BRING_PICKUP_JA = ("交付通知書(はがき)、本人確認書類(運転免許証、パスポート、在留カードなど顔写真付きのものは1点。"
                   "顔写真付きのものがない場合は、資格確認書、年金手帳などから2点)、"
                   "通知カード(お持ちの方)、住民基本台帳カード(お持ちの方。受け取りの際にご返納いただきます)。"
                   "カードの更新の場合は、現在お持ちのマイナンバーカードもお持ちください(お持ちでない場合は再交付手数料が必要です)。"
                   "暗証番号は窓口でご本人に設定していただきます。")
BRING_PICKUP_EN = ("The notice postcard (交付通知書); ID documents (one with a photo, such as a driving licence, "
                   "passport or residence card; without one, two documents such as the health insurance "
                   "eligibility certificate (資格確認書) and a pension book); your notification card (通知カード) "
                   "if you have one; your Basic Resident Register card (住民基本台帳カード, the \"Juki card\") if you "
                   "have one: it is returned when you receive your My Number card. When renewing your card, also "
                   "bring your current My Number card (without it, a re-issue fee applies). "
                   "You set your PINs at the counter.")

SERVICES = [
    # slug, Japanese, English, reservable, bring (ja), bring (en)
    ("card-pickup", "マイナンバーカードの受け取り(交付)", "Picking up your My Number card", True,
     BRING_PICKUP_JA, BRING_PICKUP_EN),
    ("cert-renewal", "電子証明書の更新", "Renewing the electronic certificates", True,
     "有効期限通知書、マイナンバーカード。暗証番号(No.1〜3)が必要です。",
     "The expiry notice (有効期限通知書) and your card. You will need your PINs No.1-3."),
    ("expiry-change", "在留期間更新に伴う有効期限の変更", "Changing the card's expiry after a new period of stay", True,
     "マイナンバーカード、新しい在留カード。", "Your card and your new residence card."),
    ("special-extension", "有効期限の特例延長", "Special extension of the expiry (+2 months)", True,
     "マイナンバーカード、在留カード(申請中の旨の記載があるもの)。",
     "Your card and your residence card showing that your renewal is pending."),
    ("card-application", "マイナンバーカードの申請(写真撮影無料)", "Applying for a My Number card (free photo)", False,
     "本人確認書類。写真は窓口で無料で撮影します。", "ID documents. Staff take your photo for free."),
    ("reissue", "紛失による再発行", "Re-issue after loss", False,
     "本人確認書類、警察に遺失届を出した場合はその受理番号。手数料1,000円(カード800円・電子証明書200円)、"
     "特急発行は2,000円(1,800円・200円)。",
     "ID documents, and the report number if you reported the loss to the police. Fee 1,000 yen (card 800 + certificate 200); "
     "express issue 2,000 yen (1,800 + 200)."),
    ("info-change", "券面記載事項の変更(転入・転居・婚姻)", "Updating the card (moving in, moving, marriage)", False,
     "マイナンバーカード。暗証番号(No.3)が必要です。", "Your card. You will need PIN No.3."),
    ("pin-reset", "暗証番号の再設定・ロック解除", "Resetting or unlocking PINs", False,
     "マイナンバーカード、本人確認書類。ご本人がお越しください。",
     "Your card and ID documents. The card holder must come in person."),
]

PLACES = [
    ("honcho", "市役所 市民課", "City Hall, Citizens' Division"),
    ("awara", "市民課 芦原分室", "Citizens' Division, Awara Branch (Health Centre)"),
]

ALL = [s[0] for s in SERVICES]
AWARA = ["card-pickup", "cert-renewal", "expiry-change", "special-extension", "info-change", "pin-reset"]
COUNTERS = {
    # place: [(name, takes reservations, procedures)]
    "honcho": [("窓口1", True, ALL), ("窓口2", True, ALL), ("窓口3", False, ALL)],
    "awara": [("窓口1", True, AWARA)],
}
# The usual day (counters staffed from each hour): at honcho one clerk of three takes
# lunch at a time from 12:00 to 13:00.
USUAL_DAY = {
    "honcho": {8: 3, 12: 2, 13: 3},
    "awara": {8: 1},
}


def seed_demo(session) -> list[str]:
    """Create the demo city where it is missing; return what was created."""
    created: list[str] = []
    services = {}
    for position, (slug, ja, en, reservable, bring_ja, bring_en) in enumerate(SERVICES):
        service = session.scalar(select(Service).where(Service.slug == slug))
        if service is None:
            service = Service(slug=slug, name_ja=ja, name_en=en, reservable=reservable,
                              duration_minutes=15, position=position, bring_ja=bring_ja, bring_en=bring_en)
            session.add(service)
            created.append(f"service {slug}")
        services[slug] = service

    for slug, ja, en in PLACES:
        location = session.scalar(select(Location).where(Location.slug == slug))
        if location is not None:
            continue
        location = Location(slug=slug, name_ja=ja, name_en=en)
        session.add(location)
        session.flush()  # its id, for the usual day
        created.append(f"location {slug}")
        for position, (name, reservations, offered) in enumerate(COUNTERS[slug]):
            session.add(Counter(location=location, name=name, position=position,
                                takes_reservations=reservations, is_open=True,
                                services=[services[s] for s in offered]))
        session.add_all(StaffedHour(location_id=location.id, hour=hour, counters=counters)
                        for hour, counters in USUAL_DAY[slug].items())
        for weekday in range(5):
            session.add(OpeningHours(location=location, weekday=weekday, opens=time(8, 30),
                                     closes=time(17, 15), slots_from=time(9, 0), slots_until=time(17, 0)))
        if slug == "honcho":
            session.add(CalendarWindow(
                location=location, kind="holiday", weekday=6, weeks_of_month="2,4",
                starts=time(9, 0), ends=time(12, 0), reservation_only=True,
                services=[services["card-pickup"], services["card-application"]]))
            session.add(CalendarWindow(
                location=location, kind="extended", weekday=3, starts=time(17, 15), ends=time(19, 0),
                reservation_only=False, services=[services["card-application"]]))
    session.flush()
    return created
