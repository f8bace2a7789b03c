/* The kiosk's words for every refusal, in Japanese and English.
 * Each tells the resident what happened and what to do next. {early} and {late}
 * are the check-in window (minutes), filled in from the page's settings; {opens},
 * {date} and {place} (and their _en twins) come from the API's answer when it has
 * them, and vanish when it has not. */
"use strict";

window.KIOSK_MESSAGES = {
  too_early: {
    title: ["まだ受付時間前です", "It is too early to check in"],
    ja: "受付は予約時間の{early}分前から始まります。{opens}時間になりましたら、もう一度QRコードをかざしてください。",
    en: "Check-in opens {early} minutes before your appointment.{opens_en} Please scan your QR code again then.",
  },
  too_late: {
    title: ["予約時間を過ぎています", "Your appointment time has passed"],
    ja: "予約時間の{late}分後を過ぎたため、予約での受付ができません。予約なしの番号札をお取りいただけます(ご予約の方の後のご案内になります)。",
    en: "Check-in closes {late} minutes after the appointment time. You can take a walk-in number instead (you will be served after residents with a reservation).",
    offerWalkIn: true,
  },
  wrong_day: {
    title: ["ご予約は本日ではありません", "Your reservation is not for today"],
    ja: "{date}予約確認メールで日付をご確認のうえ、ご予約の日にお越しください。ご不明な点は窓口職員にお尋ねください。",
    en: "{date_en}Please check the date in your confirmation e-mail and come on that day. A member of staff can help you.",
  },
  wrong_location: {
    title: ["別の窓口のご予約です", "This reservation is for another office"],
    ja: "このご予約は、こちらの窓口ではお受けできません。{place}予約確認メールで場所をご確認ください。ご不明な点は窓口職員にお尋ねください。",
    en: "We cannot check in this reservation here.{place_en} Please check the place in your confirmation e-mail, or ask a member of staff.",
  },
  cancelled: {
    title: ["このご予約は取り消されています", "This reservation has been cancelled"],
    ja: "予約なしの番号札をお取りいただくか、あらためてご予約ください。ご不明な点は窓口職員にお尋ねください。",
    en: "Please take a walk-in number, or make a new reservation. A member of staff can help you.",
    offerWalkIn: true,
  },
  unknown: {
    title: ["このQRコードでは受付できません", "We cannot check in with this QR code"],
    ja: "予約確認メールのQRコードを、もう一度かざしてください。受付できない場合は、窓口職員にお声がけください。",
    en: "Please scan the QR code from your confirmation e-mail again. If it still does not work, please ask a member of staff.",
  },
  no_show: {
    title: ["このご予約は受付できません", "We cannot check in this reservation"],
    ja: "このご予約は既に終了しています。予約なしの番号札をお取りいただくか、窓口職員にお尋ねください。",
    en: "This reservation is no longer valid. Please take a walk-in number or ask a member of staff.",
    offerWalkIn: true,
  },
  reservation_only: {
    title: ["本日は予約制です", "Today is by reservation only"],
    ja: "本日の窓口は完全予約制のため、予約のない方の番号札はお出しできません。市のホームページから別の日をご予約ください。",
    en: "Today's counter serves residents with a reservation only, so we cannot give walk-in numbers. Please book another day on the city's website.",
  },
  closed: {
    title: ["ただいま受付時間外です", "The counters are closed now"],
    ja: "申し訳ありませんが、ただいま番号札をお出しできません。受付時間をご確認のうえ、あらためてお越しください。",
    en: "Sorry, we cannot give numbers now. Please check the opening hours and come again.",
  },
  service_not_offered: {
    title: ["この手続きは受け付けていません", "This procedure is not offered here"],
    ja: "こちらの窓口では、この手続きを受け付けておりません。窓口職員にお尋ねください。",
    en: "This office does not handle this procedure. Please ask a member of staff.",
  },
  not_configured: {
    title: ["この受付機は設定されていません", "This kiosk is not set up"],
    ja: "恐れ入りますが、窓口職員にお声がけください。",
    en: "Sorry for the inconvenience. Please ask a member of staff.",
  },
  error: {
    title: ["ただいま受付できません", "We cannot take your check-in now"],
    ja: "恐れ入りますが、しばらくしてからもう一度お試しいただくか、窓口職員にお声がけください。",
    en: "Sorry, please try again in a moment, or ask a member of staff.",
  },
};
