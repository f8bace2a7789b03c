/* The kiosk's words, in Japanese (always shown first) and in each second language a
 * resident can pick on the start screen: English (the default), Easy Japanese, Chinese
 * (simplified), Korean, Vietnamese and Portuguese. Keys are the site's ?lang= codes.
 *
 * KIOSK_TEXT: the screens' words (elements with data-t="key"). KIOSK_MESSAGES: every
 * refusal, telling the resident what happened and what to do next; {early} and {late}
 * are the check-in window (minutes) from the page's settings; {opens}, {date}, {next} and
 * {place} are filled in with KIOSK_TEXT's "opens", "date", "next_opening" and "place" when the API's
 * answer has them, and vanish when it has not.
 *
 * The three values below are plain JSON (tests/test_translations.py reads them and
 * checks every key has every language): keep them so. */
"use strict";

window.KIOSK_LANGUAGES = [
  {
    "code": "en",
    "lang": "en",
    "name": "English",
    "locale": "en-GB",
    "weekday": "short"
  },
  {
    "code": "easy-ja",
    "lang": "ja",
    "name": "やさしい にほんご",
    "locale": "ja-JP",
    "weekday": "short"
  },
  {
    "code": "zh-Hans",
    "lang": "zh-Hans",
    "name": "中文（简体）",
    "locale": "zh-CN",
    "weekday": "short"
  },
  {
    "code": "ko",
    "lang": "ko",
    "name": "한국어",
    "locale": "ko-KR",
    "weekday": "short"
  },
  {
    "code": "vi",
    "lang": "vi",
    "name": "Tiếng Việt",
    "locale": "vi-VN",
    "weekday": "long"
  },
  {
    "code": "pt-BR",
    "lang": "pt-BR",
    "name": "Português",
    "locale": "pt-BR",
    "weekday": "long"
  }
];

window.KIOSK_TEXT = {
  "reception": {
    "ja": "受付",
    "easy-ja": "受付（うけつけ）",
    "en": "Reception",
    "zh-Hans": "受理",
    "ko": "접수",
    "vi": "Tiếp nhận",
    "pt-BR": "Recepção"
  },
  "language": {
    "ja": "言語",
    "easy-ja": "ことば",
    "en": "Language",
    "zh-Hans": "语言",
    "ko": "언어",
    "vi": "Ngôn ngữ",
    "pt-BR": "Idioma"
  },
  "with_reservation": {
    "ja": "ご予約のある方",
    "easy-ja": "予約（よやく）が ある 人（ひと）",
    "en": "With a reservation",
    "zh-Hans": "已预约者",
    "ko": "예약하신 분",
    "vi": "Người có lịch hẹn",
    "pt-BR": "Com reserva"
  },
  "scan_lead": {
    "ja": "予約確認メールのQRコードを、読み取り機にかざしてください。",
    "easy-ja": "予約（よやく）の メールの QRコードを、読（よ）み取（と）り機（き）に 見（み）せてください。",
    "en": "Hold the QR code from your confirmation e-mail to the scanner.",
    "zh-Hans": "请将预约确认邮件中的二维码对准扫描器。",
    "ko": "예약 확인 메일의 QR 코드를 리더기에 대 주십시오.",
    "vi": "Hãy đưa mã QR trong e-mail xác nhận vào máy quét.",
    "pt-BR": "Aproxime do leitor o código QR do e-mail de confirmação."
  },
  "scanner_label": {
    "ja": "QRコード読み取り",
    "easy-ja": "QRコード",
    "en": "QR code",
    "zh-Hans": "二维码",
    "ko": "QR 코드",
    "vi": "Mã QR",
    "pt-BR": "Código QR"
  },
  "scanner_help": {
    "ja": "読み取ると自動で受付します。",
    "easy-ja": "読（よ）み取（と）ると、受付（うけつけ）を はじめます。",
    "en": "Check-in starts by itself once the code is read.",
    "zh-Hans": "扫描后将自动受理。",
    "ko": "코드를 읽으면 자동으로 접수됩니다.",
    "vi": "Sau khi quét mã, việc tiếp nhận sẽ tự động bắt đầu.",
    "pt-BR": "O check-in começa automaticamente após a leitura."
  },
  "camera_start": {
    "ja": "カメラで読み取る",
    "easy-ja": "カメラで 読（よ）み取（と）る",
    "en": "Scan with the camera",
    "zh-Hans": "用摄像头扫描",
    "ko": "카메라로 읽기",
    "vi": "Quét bằng camera",
    "pt-BR": "Ler com a câmera"
  },
  "camera_view": {
    "ja": "カメラの映像",
    "easy-ja": "カメラの 映像（えいぞう）",
    "en": "Camera view",
    "zh-Hans": "摄像头画面",
    "ko": "카메라 화면",
    "vi": "Hình ảnh camera",
    "pt-BR": "Imagem da câmera"
  },
  "camera_help": {
    "ja": "QRコードをカメラに向けてください。",
    "easy-ja": "QRコードを カメラに 向（む）けてください。",
    "en": "Show the QR code to the camera.",
    "zh-Hans": "请将二维码对准摄像头。",
    "ko": "QR 코드를 카메라에 비춰 주십시오.",
    "vi": "Hãy đưa mã QR về phía camera.",
    "pt-BR": "Mostre o código QR para a câmera."
  },
  "camera_stop": {
    "ja": "カメラを止める",
    "easy-ja": "カメラを 止（と）める",
    "en": "Stop the camera",
    "zh-Hans": "关闭摄像头",
    "ko": "카메라 끄기",
    "vi": "Tắt camera",
    "pt-BR": "Desligar a câmera"
  },
  "camera_unavailable": {
    "ja": "カメラを使用できません。読み取り機をご利用ください。",
    "easy-ja": "カメラが つかえません。読（よ）み取（と）り機（き）を つかってください。",
    "en": "The camera is not available; please use the scanner.",
    "zh-Hans": "无法使用摄像头。请使用扫描器。",
    "ko": "카메라를 사용할 수 없습니다. 리더기를 이용해 주십시오.",
    "vi": "Không thể sử dụng camera. Vui lòng dùng máy quét.",
    "pt-BR": "A câmera não está disponível. Use o leitor."
  },
  "without_reservation": {
    "ja": "ご予約のない方",
    "easy-ja": "予約（よやく）が ない 人（ひと）",
    "en": "Without a reservation",
    "zh-Hans": "未预约者",
    "ko": "예약하지 않으신 분",
    "vi": "Người không có lịch hẹn",
    "pt-BR": "Sem reserva"
  },
  "walkin_lead": {
    "ja": "手続きを選んで、番号札をお取りください。",
    "easy-ja": "手続（てつづ）きを えらんで、番号札（ばんごうふだ）を とってください。",
    "en": "Choose your procedure to take a number.",
    "zh-Hans": "请选择手续并领取号码牌。",
    "ko": "절차를 선택하시고 번호표를 받아 주십시오.",
    "vi": "Hãy chọn thủ tục để lấy số thứ tự.",
    "pt-BR": "Escolha o procedimento para retirar uma senha."
  },
  "busy": {
    "ja": "受付しています。少々お待ちください。",
    "easy-ja": "受付（うけつけ）して います。すこし まってください。",
    "en": "One moment, please.",
    "zh-Hans": "正在受理，请稍候。",
    "ko": "접수 중입니다. 잠시만 기다려 주십시오.",
    "vi": "Đang tiếp nhận, vui lòng chờ một chút.",
    "pt-BR": "Um momento, por favor."
  },
  "your_number": {
    "ja": "受付番号",
    "easy-ja": "あなたの 番号（ばんごう）",
    "en": "Your number",
    "zh-Hans": "您的号码",
    "ko": "접수 번호",
    "vi": "Số thứ tự của bạn",
    "pt-BR": "Sua senha"
  },
  "wait_label": {
    "ja": "待ち時間の目安",
    "easy-ja": "まつ 時間（じかん）の めやす",
    "en": "Estimated wait",
    "zh-Hans": "预计等候时间",
    "ko": "예상 대기 시간",
    "vi": "Thời gian chờ dự kiến",
    "pt-BR": "Espera estimada"
  },
  "ahead_label": {
    "ja": "お待ちの方",
    "easy-ja": "前（まえ）に まっている 人（ひと）",
    "en": "Ahead of you",
    "zh-Hans": "前面等候人数",
    "ko": "앞 대기 인원",
    "vi": "Số người chờ trước bạn",
    "pt-BR": "Pessoas na sua frente"
  },
  "call_note": {
    "ja": "番号が呼ばれましたら、表示の窓口へお越しください。",
    "easy-ja": "番号（ばんごう）が 呼（よ）ばれたら、画面（がめん）に 出（で）た 窓口（まどぐち）へ 行（い）ってください。",
    "en": "When your number is called, please go to the counter shown on the screen.",
    "zh-Hans": "叫到您的号码时，请前往屏幕上显示的窗口。",
    "ko": "번호가 호출되면 화면에 표시된 창구로 가 주십시오.",
    "vi": "Khi số của bạn được gọi, hãy đến quầy hiển thị trên màn hình.",
    "pt-BR": "Quando sua senha for chamada, dirija-se ao guichê indicado no painel."
  },
  "qr_alt": {
    "ja": "呼び出し状況のページのQRコード",
    "easy-ja": "呼（よ）び出（だ）しを 見（み）る ページの QRコード",
    "en": "QR code of your queue page",
    "zh-Hans": "叫号状态页面的二维码",
    "ko": "호출 현황 페이지의 QR 코드",
    "vi": "Mã QR của trang theo dõi lượt gọi",
    "pt-BR": "Código QR da página de acompanhamento da fila"
  },
  "qr_caption": {
    "ja": "スマートフォンで読み取ると、呼び出し状況を確認できます。",
    "easy-ja": "スマートフォンで 読（よ）み取（と）ると、呼（よ）び出（だ）しの 様子（ようす）が わかります。",
    "en": "Scan with your phone to follow the queue.",
    "zh-Hans": "用手机扫描，即可查看叫号情况。",
    "ko": "스마트폰으로 읽으면 호출 현황을 확인할 수 있습니다.",
    "vi": "Quét bằng điện thoại để theo dõi lượt gọi.",
    "pt-BR": "Leia com o celular para acompanhar a fila."
  },
  "print": {
    "ja": "番号札を印刷する",
    "easy-ja": "番号札（ばんごうふだ）を 印刷（いんさつ）する",
    "en": "Print the ticket",
    "zh-Hans": "打印号码牌",
    "ko": "번호표 인쇄",
    "vi": "In số thứ tự",
    "pt-BR": "Imprimir a senha"
  },
  "printed": {
    "ja": "番号札が出ました。お取りください。",
    "easy-ja": "番号札（ばんごうふだ）が 出（で）ました。取（と）ってください。",
    "en": "Your ticket has been printed. Please take it.",
    "zh-Hans": "号码牌已打印，请取走。",
    "ko": "번호표가 인쇄되었습니다. 가져가 주세요.",
    "vi": "Phiếu số đã được in. Xin vui lòng lấy phiếu.",
    "pt-BR": "Sua senha foi impressa. Por favor, retire-a."
  },
  "done": {
    "ja": "終わる",
    "easy-ja": "おわる",
    "en": "Done",
    "zh-Hans": "完成",
    "ko": "완료",
    "vi": "Xong",
    "pt-BR": "Concluir"
  },
  "refusal_walkin_lead": {
    "ja": "予約なしの番号札をお取りになる方は、手続きを選んでください。",
    "easy-ja": "予約（よやく）なしの 番号札（ばんごうふだ）を とる 人（ひと）は、手続（てつづ）きを えらんでください。",
    "en": "To take a walk-in number, choose your procedure.",
    "zh-Hans": "如需领取非预约号码牌，请选择手续。",
    "ko": "예약 없는 번호표를 받으실 분은 절차를 선택해 주십시오.",
    "vi": "Để lấy số thứ tự không hẹn trước, hãy chọn thủ tục.",
    "pt-BR": "Para retirar uma senha sem reserva, escolha o procedimento."
  },
  "walkin_group": {
    "ja": "予約なしの番号札",
    "easy-ja": "予約（よやく）なしの 番号札（ばんごうふだ）",
    "en": "Walk-in number",
    "zh-Hans": "非预约号码牌",
    "ko": "예약 없는 번호표",
    "vi": "Số thứ tự không hẹn trước",
    "pt-BR": "Senha sem reserva"
  },
  "back": {
    "ja": "最初の画面に戻る",
    "easy-ja": "はじめの 画面（がめん）に もどる",
    "en": "Back to the start",
    "zh-Hans": "返回首页",
    "ko": "처음 화면으로",
    "vi": "Quay lại màn hình đầu",
    "pt-BR": "Voltar ao início"
  },
  "countdown": {
    "ja": "{seconds}秒後に最初の画面に戻ります",
    "easy-ja": "{seconds}秒（びょう）で はじめの 画面（がめん）に もどります",
    "en": "Back to the start in {seconds} s",
    "zh-Hans": "{seconds}秒后返回首页",
    "ko": "{seconds}초 후 처음 화면으로 돌아갑니다",
    "vi": "Quay lại màn hình đầu sau {seconds} giây",
    "pt-BR": "Voltando ao início em {seconds} s"
  },
  "wait_soon": {
    "ja": "まもなくお呼びします",
    "easy-ja": "もうすぐ 呼（よ）びます",
    "en": "Soon",
    "zh-Hans": "即将叫号",
    "ko": "곧 호출합니다",
    "vi": "Sắp đến lượt",
    "pt-BR": "Em breve"
  },
  "wait_minutes": {
    "ja": "約{minutes}分",
    "easy-ja": "だいたい {minutes}分（ふん）",
    "en": "about {minutes} min",
    "zh-Hans": "约{minutes}分钟",
    "ko": "약 {minutes}분",
    "vi": "khoảng {minutes} phút",
    "pt-BR": "cerca de {minutes} min"
  },
  "wait_range": {
    "ja": "約{low}〜{high}分",
    "easy-ja": "だいたい {low}〜{high}分（ふん）",
    "en": "about {low}–{high} min",
    "zh-Hans": "约{low}～{high}分钟",
    "ko": "약 {low}~{high}분",
    "vi": "khoảng {low}–{high} phút",
    "pt-BR": "cerca de {low} a {high} min"
  },
  "ahead_one": {
    "ja": "1人",
    "easy-ja": "1人（ひとり）",
    "en": "1 person",
    "zh-Hans": "1人",
    "ko": "1명",
    "vi": "1 người",
    "pt-BR": "1 pessoa"
  },
  "ahead_other": {
    "ja": "{count}人",
    "easy-ja": "{count}人（にん）",
    "en": "{count} people",
    "zh-Hans": "{count}人",
    "ko": "{count}명",
    "vi": "{count} người",
    "pt-BR": "{count} pessoas"
  },
  "issued": {
    "ja": "発券",
    "easy-ja": "出（だ）した 時間（じかん）",
    "en": "Issued",
    "zh-Hans": "发放时间",
    "ko": "발권 시각",
    "vi": "Thời gian cấp",
    "pt-BR": "Emitida em"
  },
  "already": {
    "ja": "このご予約は受付済みです。番号札をもう一度表示しています。",
    "easy-ja": "この 予約（よやく）は もう 受付（うけつけ）して います。番号札（ばんごうふだ）を もう一度（いちど） 出（だ）して います。",
    "en": "You have already checked in; here is your number again.",
    "zh-Hans": "此预约已受理。再次显示您的号码牌。",
    "ko": "이미 접수된 예약입니다. 번호표를 다시 표시합니다.",
    "vi": "Lịch hẹn này đã được tiếp nhận. Số thứ tự của bạn được hiển thị lại.",
    "pt-BR": "Você já fez o check-in; aqui está sua senha novamente."
  },
  "announce_number": {
    "ja": "受付番号は {number} です。",
    "easy-ja": "あなたの 番号（ばんごう）は {number} です。",
    "en": "Your number is {number}.",
    "zh-Hans": "您的号码是{number}。",
    "ko": "접수 번호는 {number}입니다.",
    "vi": "Số thứ tự của bạn là {number}.",
    "pt-BR": "Sua senha é {number}."
  },
  "opens": {
    "ja": "{time}から受付できます。",
    "easy-ja": "{time}から 受付（うけつけ）できます。",
    "en": " You can check in from {time}.",
    "zh-Hans": "{time}起可以受理。",
    "ko": "{time}부터 접수할 수 있습니다. ",
    "vi": " Bạn có thể làm thủ tục từ {time}.",
    "pt-BR": " Você poderá fazer o check-in a partir das {time}."
  },
  "next_opening": {
    "ja": "次の受付は{date} {time}からです。",
    "easy-ja": "つぎの 受付（うけつけ）は {date} {time}からです。",
    "en": " Reception opens again on {date} at {time}.",
    "zh-Hans": "下次受理时间为{date} {time}起。",
    "ko": "다음 접수는 {date} {time}부터입니다. ",
    "vi": " Lần tiếp nhận tiếp theo: {date} lúc {time}.",
    "pt-BR": " A recepção reabre em {date} às {time}."
  },
  "date": {
    "ja": "ご予約日は{date}です。",
    "easy-ja": "予約（よやく）の 日（ひ）は {date}です。",
    "en": "Your reservation is on {date}. ",
    "zh-Hans": "您的预约日期是{date}。",
    "ko": "예약일은 {date}입니다. ",
    "vi": "Lịch hẹn của bạn vào {date}. ",
    "pt-BR": "Sua reserva é para {date}. "
  },
  "place": {
    "ja": "ご予約の場所は「{place}」です。",
    "easy-ja": "予約（よやく）の 場所（ばしょ）は「{place}」です。",
    "en": " Your reservation is at {place}.",
    "zh-Hans": "您预约的地点是“{place}”。",
    "ko": "예약 장소는 '{place}'입니다. ",
    "vi": " Địa điểm hẹn của bạn là {place}.",
    "pt-BR": " Sua reserva é em: {place}."
  }
};

window.KIOSK_MESSAGES = {
  "too_early": {
    "title": {
      "ja": "まだ受付時間前です",
      "easy-ja": "まだ 受付（うけつけ）の 時間（じかん）では ありません",
      "en": "It is too early to check in",
      "zh-Hans": "还未到受理时间",
      "ko": "아직 접수 시간 전입니다",
      "vi": "Chưa đến giờ tiếp nhận",
      "pt-BR": "Ainda é cedo para fazer o check-in"
    },
    "text": {
      "ja": "受付は予約時間の{early}分前から始まります。{opens}時間になりましたら、もう一度QRコードをかざしてください。",
      "easy-ja": "受付（うけつけ）は 予約（よやく）の 時間（じかん）の {early}分（ふん） 前（まえ）からです。{opens}その 時間に なったら、もう一度（いちど） QRコードを 見（み）せてください。",
      "en": "Check-in opens {early} minutes before your appointment.{opens} Please scan your QR code again then.",
      "zh-Hans": "受理从预约时间前{early}分钟开始。{opens}到时间后，请再次扫描二维码。",
      "ko": "접수는 예약 시간 {early}분 전부터 시작됩니다. {opens}시간이 되면 QR 코드를 다시 대 주십시오.",
      "vi": "Việc tiếp nhận bắt đầu {early} phút trước giờ hẹn.{opens} Đến giờ, vui lòng quét lại mã QR.",
      "pt-BR": "O check-in abre {early} minutos antes do horário da reserva.{opens} Leia seu código QR novamente nesse horário."
    }
  },
  "too_late": {
    "title": {
      "ja": "予約時間を過ぎています",
      "easy-ja": "予約（よやく）の 時間（じかん）が すぎました",
      "en": "Your appointment time has passed",
      "zh-Hans": "已超过预约时间",
      "ko": "예약 시간이 지났습니다",
      "vi": "Đã quá giờ hẹn",
      "pt-BR": "O horário da sua reserva já passou"
    },
    "text": {
      "ja": "予約時間の{late}分後を過ぎたため、予約での受付ができません。予約なしの番号札をお取りいただけます(ご予約の方の後のご案内になります)。",
      "easy-ja": "予約（よやく）の 時間（じかん）の {late}分（ふん） あとを すぎたので、予約の 受付（うけつけ）は できません。予約なしの 番号札（ばんごうふだ）を とることが できます。予約した 人（ひと）の あとに なります。",
      "en": "Check-in closes {late} minutes after the appointment time. You can take a walk-in number instead (you will be served after residents with a reservation).",
      "zh-Hans": "已超过预约时间{late}分钟，无法按预约受理。您可以领取非预约号码牌（将在已预约的居民之后为您办理）。",
      "ko": "예약 시간 {late}분 후가 지나 예약 접수를 할 수 없습니다. 예약 없는 번호표를 받으실 수 있습니다(예약하신 분들 다음 순서로 안내해 드립니다).",
      "vi": "Đã quá {late} phút sau giờ hẹn nên không thể tiếp nhận theo lịch hẹn. Bạn có thể lấy số thứ tự không hẹn trước (bạn sẽ được phục vụ sau những người có lịch hẹn).",
      "pt-BR": "O check-in encerra {late} minutos após o horário da reserva. Você pode retirar uma senha sem reserva (será atendido depois dos moradores com reserva)."
    },
    "offerWalkIn": true
  },
  "wrong_day": {
    "title": {
      "ja": "ご予約は本日ではありません",
      "easy-ja": "予約（よやく）は きょうでは ありません",
      "en": "Your reservation is not for today",
      "zh-Hans": "您的预约不是今天",
      "ko": "예약일이 오늘이 아닙니다",
      "vi": "Lịch hẹn của bạn không phải hôm nay",
      "pt-BR": "Sua reserva não é para hoje"
    },
    "text": {
      "ja": "{date}予約確認メールで日付をご確認のうえ、ご予約の日にお越しください。ご不明な点は窓口職員にお尋ねください。",
      "easy-ja": "{date}予約（よやく）の メールで 日（ひ）を 見（み）て、その 日に 来（き）てください。わからない ときは、係（かかり）の 人（ひと）に 聞（き）いてください。",
      "en": "{date}Please check the date in your confirmation e-mail and come on that day. A member of staff can help you.",
      "zh-Hans": "{date}请在预约确认邮件中确认日期，并在预约当天前来。如有疑问，请询问窗口工作人员。",
      "ko": "{date}예약 확인 메일에서 날짜를 확인하시고 예약하신 날에 방문해 주십시오. 궁금한 점은 창구 직원에게 문의해 주십시오.",
      "vi": "{date}Vui lòng kiểm tra ngày trong e-mail xác nhận và đến vào đúng ngày đó. Nhân viên có thể giúp bạn.",
      "pt-BR": "{date}Confira a data no e-mail de confirmação e venha nesse dia. Um funcionário pode ajudar você."
    }
  },
  "wrong_location": {
    "title": {
      "ja": "別の窓口のご予約です",
      "easy-ja": "ほかの 窓口（まどぐち）の 予約（よやく）です",
      "en": "This reservation is for another office",
      "zh-Hans": "这是其他窗口的预约",
      "ko": "다른 창구의 예약입니다",
      "vi": "Lịch hẹn này ở nơi khác",
      "pt-BR": "Esta reserva é para outro local"
    },
    "text": {
      "ja": "このご予約は、こちらの窓口ではお受けできません。{place}予約確認メールで場所をご確認ください。ご不明な点は窓口職員にお尋ねください。",
      "easy-ja": "この 予約（よやく）は、ここでは 受付（うけつけ）できません。{place}予約の メールで 場所（ばしょ）を 見（み）てください。わからない ときは、係（かかり）の 人（ひと）に 聞（き）いてください。",
      "en": "We cannot check in this reservation here.{place} Please check the place in your confirmation e-mail, or ask a member of staff.",
      "zh-Hans": "此预约无法在本窗口受理。{place}请在预约确认邮件中确认地点。如有疑问，请询问窗口工作人员。",
      "ko": "이 예약은 이 창구에서 접수할 수 없습니다. {place}예약 확인 메일에서 장소를 확인해 주십시오. 궁금한 점은 창구 직원에게 문의해 주십시오.",
      "vi": "Không thể tiếp nhận lịch hẹn này tại đây.{place} Vui lòng kiểm tra địa điểm trong e-mail xác nhận hoặc hỏi nhân viên.",
      "pt-BR": "Não podemos fazer o check-in desta reserva aqui.{place} Confira o local no e-mail de confirmação ou fale com um funcionário."
    }
  },
  "cancelled": {
    "title": {
      "ja": "このご予約は取り消されています",
      "easy-ja": "この 予約（よやく）は キャンセルされて います",
      "en": "This reservation has been cancelled",
      "zh-Hans": "此预约已被取消",
      "ko": "이 예약은 취소되었습니다",
      "vi": "Lịch hẹn này đã bị hủy",
      "pt-BR": "Esta reserva foi cancelada"
    },
    "text": {
      "ja": "予約なしの番号札をお取りいただくか、あらためてご予約ください。ご不明な点は窓口職員にお尋ねください。",
      "easy-ja": "予約（よやく）なしの 番号札（ばんごうふだ）を とるか、もう一度（いちど） 予約してください。わからない ときは、係（かかり）の 人（ひと）に 聞（き）いてください。",
      "en": "Please take a walk-in number, or make a new reservation. A member of staff can help you.",
      "zh-Hans": "请领取非预约号码牌，或重新预约。如有疑问，请询问窗口工作人员。",
      "ko": "예약 없는 번호표를 받으시거나 다시 예약해 주십시오. 궁금한 점은 창구 직원에게 문의해 주십시오.",
      "vi": "Vui lòng lấy số thứ tự không hẹn trước hoặc đặt lịch hẹn mới. Nhân viên có thể giúp bạn.",
      "pt-BR": "Retire uma senha sem reserva ou faça uma nova reserva. Um funcionário pode ajudar você."
    },
    "offerWalkIn": true
  },
  "unknown": {
    "title": {
      "ja": "このQRコードでは受付できません",
      "easy-ja": "この QRコードでは 受付（うけつけ）できません",
      "en": "We cannot check in with this QR code",
      "zh-Hans": "无法使用此二维码受理",
      "ko": "이 QR 코드로는 접수할 수 없습니다",
      "vi": "Không thể tiếp nhận bằng mã QR này",
      "pt-BR": "Não é possível fazer o check-in com este código QR"
    },
    "text": {
      "ja": "予約確認メールのQRコードを、もう一度かざしてください。受付できない場合は、窓口職員にお声がけください。",
      "easy-ja": "予約（よやく）の メールの QRコードを、もう一度（いちど） 見（み）せてください。それでも だめな ときは、係（かかり）の 人（ひと）に 言（い）ってください。",
      "en": "Please scan the QR code from your confirmation e-mail again. If it still does not work, please ask a member of staff.",
      "zh-Hans": "请再次扫描预约确认邮件中的二维码。如果仍然无法受理，请联系窗口工作人员。",
      "ko": "예약 확인 메일의 QR 코드를 다시 대 주십시오. 그래도 접수되지 않으면 창구 직원에게 말씀해 주십시오.",
      "vi": "Vui lòng quét lại mã QR trong e-mail xác nhận. Nếu vẫn không được, vui lòng hỏi nhân viên.",
      "pt-BR": "Leia novamente o código QR do e-mail de confirmação. Se ainda não funcionar, fale com um funcionário."
    }
  },
  "no_show": {
    "title": {
      "ja": "このご予約は受付できません",
      "easy-ja": "この 予約（よやく）は 受付（うけつけ）できません",
      "en": "We cannot check in this reservation",
      "zh-Hans": "此预约无法受理",
      "ko": "이 예약은 접수할 수 없습니다",
      "vi": "Không thể tiếp nhận lịch hẹn này",
      "pt-BR": "Não é possível fazer o check-in desta reserva"
    },
    "text": {
      "ja": "このご予約は既に終了しています。予約なしの番号札をお取りいただくか、窓口職員にお尋ねください。",
      "easy-ja": "この 予約（よやく）は もう おわって います。予約なしの 番号札（ばんごうふだ）を とるか、係（かかり）の 人（ひと）に 聞（き）いてください。",
      "en": "This reservation is no longer valid. Please take a walk-in number or ask a member of staff.",
      "zh-Hans": "此预约已失效。请领取非预约号码牌，或询问窗口工作人员。",
      "ko": "이 예약은 이미 종료되었습니다. 예약 없는 번호표를 받으시거나 창구 직원에게 문의해 주십시오.",
      "vi": "Lịch hẹn này không còn hiệu lực. Vui lòng lấy số thứ tự không hẹn trước hoặc hỏi nhân viên.",
      "pt-BR": "Esta reserva não é mais válida. Retire uma senha sem reserva ou fale com um funcionário."
    },
    "offerWalkIn": true
  },
  "reservation_only": {
    "title": {
      "ja": "本日は予約制です",
      "easy-ja": "きょうは 予約（よやく）した 人（ひと）だけです",
      "en": "Today is by reservation only",
      "zh-Hans": "今天仅限预约",
      "ko": "오늘은 예약제입니다",
      "vi": "Hôm nay chỉ tiếp nhận người có lịch hẹn",
      "pt-BR": "Hoje o atendimento é somente com reserva"
    },
    "text": {
      "ja": "本日の窓口は完全予約制のため、予約のない方の番号札はお出しできません。市のホームページから別の日をご予約ください。",
      "easy-ja": "きょうの 窓口（まどぐち）は、予約（よやく）した 人（ひと）だけです。予約なしの 番号札（ばんごうふだ）は 出（だ）せません。市（し）の ホームページで ほかの 日（ひ）を 予約してください。",
      "en": "Today's counter serves residents with a reservation only, so we cannot give walk-in numbers. Please book another day on the city's website.",
      "zh-Hans": "今天的窗口为完全预约制，无法为未预约者发放号码牌。请在市政府网站上预约其他日期。",
      "ko": "오늘 창구는 완전 예약제로 운영하므로 예약하지 않으신 분께는 번호표를 드릴 수 없습니다. 시 홈페이지에서 다른 날을 예약해 주십시오.",
      "vi": "Hôm nay quầy chỉ phục vụ người có lịch hẹn nên không thể cấp số thứ tự không hẹn trước. Vui lòng đặt lịch hẹn vào ngày khác trên trang web của thành phố.",
      "pt-BR": "Hoje o guichê atende somente moradores com reserva, por isso não podemos emitir senhas sem reserva. Faça uma reserva para outro dia no site da prefeitura."
    }
  },
  "closed": {
    "title": {
      "ja": "ただいま受付時間外です",
      "easy-ja": "いまは 受付（うけつけ）の 時間（じかん）では ありません",
      "en": "The counters are closed now",
      "zh-Hans": "现在不是受理时间",
      "ko": "지금은 접수 시간이 아닙니다",
      "vi": "Hiện đang ngoài giờ tiếp nhận",
      "pt-BR": "Os guichês estão fechados agora"
    },
    "text": {
      "ja": "申し訳ありませんが、ただいま番号札をお出しできません。受付時間をご確認のうえ、あらためてお越しください。",
      "easy-ja": "ごめんなさい。いまは 番号札（ばんごうふだ）を 出（だ）せません。あいている 時間（じかん）を 見（み）て、また 来（き）てください。",
      "en": "Sorry, we cannot give numbers now. Please check the opening hours and come again.",
      "zh-Hans": "很抱歉，现在无法发放号码牌。请确认受理时间后再来。",
      "ko": "죄송합니다. 지금은 번호표를 드릴 수 없습니다. 접수 시간을 확인하시고 다시 방문해 주십시오.",
      "vi": "Xin lỗi, hiện không thể cấp số thứ tự. Vui lòng xem giờ làm việc và quay lại sau.",
      "pt-BR": "Desculpe, não podemos emitir senhas agora. Confira o horário de funcionamento e volte outra hora."
    }
  },
  "reception_closed": {
    "title": {
      "ja": "本日の受付は終了しました",
      "easy-ja": "きょうの 受付（うけつけ）は おわりました",
      "en": "Reception has closed for today",
      "zh-Hans": "今日受理已结束",
      "ko": "오늘 접수는 마감되었습니다",
      "vi": "Hôm nay đã hết giờ tiếp nhận",
      "pt-BR": "A recepção de hoje está encerrada"
    },
    "text": {
      "ja": "本日は多くの方がお待ちのため、閉庁時刻までにお呼びできる見込みがなく、番号札の発行を終了しました。ご不便をおかけして申し訳ありません。{next}ご予約いただくと、お待たせせずに手続きできます。",
      "easy-ja": "きょうは 待（ま）っている 人（ひと）が 多（おお）いので、番号札（ばんごうふだ）を 出（だ）すのを おわりにしました。ごめんなさい。{next}予約（よやく）すると、待（ま）たないで 手続（てつづ）きが できます。",
      "en": "Many residents are waiting today and we could not call you before the counters close, so we have stopped giving numbers. We are sorry.{next} With a reservation you will not have to wait.",
      "zh-Hans": "今天等候的人较多，窗口关闭前无法为您叫号，因此已停止发放号码牌。非常抱歉。{next}预约后可免于等候。",
      "ko": "오늘은 기다리시는 분이 많아 창구 마감 전까지 호출해 드리기 어려워 번호표 발급을 마감했습니다. 죄송합니다. {next}예약하시면 기다리지 않고 처리하실 수 있습니다.",
      "vi": "Hôm nay có nhiều người đang chờ và chúng tôi không thể gọi số trước giờ đóng cửa, nên đã ngừng cấp số thứ tự. Xin lỗi quý vị.{next} Nếu đặt lịch hẹn, quý vị sẽ không phải chờ.",
      "pt-BR": "Há muitas pessoas aguardando hoje e não conseguiríamos chamá-lo antes do fechamento, por isso encerramos a emissão de senhas. Pedimos desculpas.{next} Com uma reserva, você não precisará esperar."
    }
  },
  "service_not_offered": {
    "title": {
      "ja": "この手続きは受け付けていません",
      "easy-ja": "この 手続（てつづ）きは ここでは できません",
      "en": "This procedure is not offered here",
      "zh-Hans": "此处不受理此手续",
      "ko": "이 절차는 이곳에서 접수하지 않습니다",
      "vi": "Nơi này không tiếp nhận thủ tục này",
      "pt-BR": "Este procedimento não é feito aqui"
    },
    "text": {
      "ja": "こちらの窓口では、この手続きを受け付けておりません。窓口職員にお尋ねください。",
      "easy-ja": "この 窓口（まどぐち）では、この 手続（てつづ）きは できません。係（かかり）の 人（ひと）に 聞（き）いてください。",
      "en": "This office does not handle this procedure. Please ask a member of staff.",
      "zh-Hans": "本窗口不受理此手续。请询问窗口工作人员。",
      "ko": "이 창구에서는 이 절차를 접수하지 않습니다. 창구 직원에게 문의해 주십시오.",
      "vi": "Quầy này không tiếp nhận thủ tục này. Vui lòng hỏi nhân viên.",
      "pt-BR": "Este local não faz este procedimento. Fale com um funcionário."
    }
  },
  "not_configured": {
    "title": {
      "ja": "この受付機は設定されていません",
      "easy-ja": "この 受付機（うけつけき）は まだ つかえません",
      "en": "This kiosk is not set up",
      "zh-Hans": "此受理机尚未设置",
      "ko": "이 접수기는 설정되지 않았습니다",
      "vi": "Máy tiếp nhận này chưa được cài đặt",
      "pt-BR": "Este totem não está configurado"
    },
    "text": {
      "ja": "恐れ入りますが、窓口職員にお声がけください。",
      "easy-ja": "ごめんなさい。係（かかり）の 人（ひと）に 言（い）ってください。",
      "en": "Sorry for the inconvenience. Please ask a member of staff.",
      "zh-Hans": "给您带来不便，非常抱歉。请联系窗口工作人员。",
      "ko": "불편을 드려 죄송합니다. 창구 직원에게 말씀해 주십시오.",
      "vi": "Xin lỗi vì sự bất tiện này. Vui lòng hỏi nhân viên.",
      "pt-BR": "Desculpe o transtorno. Fale com um funcionário."
    }
  },
  "error": {
    "title": {
      "ja": "ただいま受付できません",
      "easy-ja": "いまは 受付（うけつけ）できません",
      "en": "We cannot take your check-in now",
      "zh-Hans": "现在无法受理",
      "ko": "지금은 접수할 수 없습니다",
      "vi": "Hiện không thể tiếp nhận",
      "pt-BR": "Não é possível fazer o atendimento agora"
    },
    "text": {
      "ja": "恐れ入りますが、しばらくしてからもう一度お試しいただくか、窓口職員にお声がけください。",
      "easy-ja": "ごめんなさい。すこし まってから もう一度（いちど） するか、係（かかり）の 人（ひと）に 言（い）ってください。",
      "en": "Sorry, please try again in a moment, or ask a member of staff.",
      "zh-Hans": "很抱歉，请稍后再试，或联系窗口工作人员。",
      "ko": "죄송합니다. 잠시 후 다시 시도하시거나 창구 직원에게 말씀해 주십시오.",
      "vi": "Xin lỗi, vui lòng thử lại sau giây lát hoặc hỏi nhân viên.",
      "pt-BR": "Desculpe, tente novamente em instantes ou fale com um funcionário."
    }
  }
};
