/* Reading a QR code with the kiosk's camera: getUserMedia feeds a <video>, each frame
 * is drawn on an off-screen canvas and handed to jsQR (served from /vendor/jsQR.js).
 * window.KioskCamera.start(video, onText, onError) / .stop() / .active */
"use strict";

(function () {
  let stream = null;
  let frame = null;
  let canvas = null;
  let lastScan = 0;
  // jsQR is CPU-heavy on a full HD frame: scan a few times a second on a smaller copy.
  const SCAN_INTERVAL_MS = 150;
  const MAX_WIDTH = 800;

  function stop() {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  function scan(video, onText) {
    frame = requestAnimationFrame(() => scan(video, onText));
    const now = performance.now();
    if (now - lastScan < SCAN_INTERVAL_MS || video.readyState < video.HAVE_CURRENT_DATA) return;
    lastScan = now;
    const scale = Math.min(1, MAX_WIDTH / (video.videoWidth || MAX_WIDTH));
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    if (!width || !height) return;
    canvas = canvas || document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    const code = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
    if (code && code.data) {
      stop();
      onText(code.data);
    }
  }

  async function start(video, onText, onError) {
    stop();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      onError(new Error("camera unavailable"));
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { facingMode: "environment", width: { ideal: 1280 } },
      });
    } catch (error) {
      stream = null;
      onError(error);
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    scan(video, onText);
  }

  window.KioskCamera = {
    start, stop,
    get active() { return stream !== null; },
  };
})();
