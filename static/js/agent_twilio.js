/* Huifang agent console, Twilio mode with the browser leg (HUIFANG_TWILIO_AGENT_LEG=client):
 * this page is the agent's headset. Loaded after agent.js only in that mode, with the vendored
 * Twilio Voice SDK (static/vendor/twilio-voice/). Plain browser JavaScript, no build step.
 *
 * - GET /twilio/token, then a Twilio.Device registered as agent-<id>; the token is renewed
 *   before it expires (tokenWillExpire -> updateToken).
 * - The customer's call reaches us as <Dial><Client>agent-<id></Client></Dial> once the
 *   customer answered (dialer/twilio/webhooks.py). It is accepted automatically as soon as the
 *   screen pop is on screen (the same answer forwards the pop over Socket.IO, and only this
 *   agent's own attempt dials this identity); if the pop has not arrived within POP_WAIT_MS
 *   the call is accepted anyway, so the customer is never left without an agent.
 * - A store's pooled call (predictive over Twilio) comes the other way round: the customer
 *   already waits in the store's queue, the dialer calls this browser with a leg that takes
 *   them (dialer/twilio/placing.py, custom parameter huifang_leg=pool), and the screen pop
 *   follows from that leg connecting. Such a leg is accepted at once.
 * - Hang-up (F4) and hold stay server-side through agent.js: ending the customer's call ends
 *   this leg too. There is no separate mute control on the page.
 * - The device's state is shown in the headset status line (#phone-status), with
 *   data-phone="twilio_<state>"; agent.js renders the seat's `phone` events there as well, so
 *   ours is written again whenever agent.js overwrote it.
 */
(() => {
  'use strict';

  const { $, t } = window.Huifang;
  const POP_WAIT_MS = 3000;
  const LEG_PARAM = 'huifang_leg';
  const POOL_LEG = 'pool';
  const RETRY_MS = 15000;
  const status = $('phone-status');
  const record = $('customer-record');
  const ERRORS = new Set(['token_failed', 'no_microphone', 'error']);

  let current = { key: 'connecting', text: t('twilio_connecting') };
  let device = null;
  let activeCall = null;

  function show(key, vars) {
    current = { key, text: t(`twilio_${key}`, vars) };
    render();
  }

  function render() {
    if (!status) return;
    status.dataset.phone = `twilio_${current.key}`;
    status.textContent = current.text;
    status.classList.toggle('text-danger', ERRORS.has(current.key) || current.key === 'offline');
    if (ERRORS.has(current.key)) status.setAttribute('role', 'alert');
    else status.removeAttribute('role');
  }

  // agent.js writes the seat's `phone` events into the same element: put ours back.
  if (status) {
    new MutationObserver(() => {
      if (status.dataset.phone !== `twilio_${current.key}`) render();
    }).observe(status, { attributes: true, attributeFilter: ['data-phone'], childList: true });
  }

  async function fetchToken() {
    let resp;
    try {
      resp = await fetch('/twilio/token', {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        redirect: 'manual',  // signed out: the login page is no token
      });
    } catch (e) {
      throw new Error(String((e && e.message) || e));
    }
    if (!resp.ok) throw new Error(`HTTP ${resp.status || resp.type}`);
    const body = await resp.json().catch(() => ({}));
    if (!body.token) throw new Error('no token');
    return body.token;
  }

  const popOnScreen = () => Boolean(record && !record.hidden);

  function whenPopShown(timeoutMs) {
    return new Promise((resolve) => {
      if (popOnScreen() || !record) { resolve(); return; }
      const observer = new MutationObserver(() => {
        if (popOnScreen()) { observer.disconnect(); clearTimeout(timer); resolve(); }
      });
      const timer = setTimeout(() => { observer.disconnect(); resolve(); }, timeoutMs);
      observer.observe(record, { attributes: true, attributeFilter: ['hidden'] });
    });
  }

  // The leg the store's pool calls us with: its customer is waiting, its pop comes after it.
  function isPooledLeg(call) {
    const params = call && call.customParameters;
    return Boolean(params && typeof params.get === 'function' && params.get(LEG_PARAM) === POOL_LEG);
  }

  function callError(err) {
    const code = err && (err.code || err.name);
    if (code === 31208 || code === 31401 || (err && err.name === 'NotAllowedError')) {
      show('no_microphone');
    } else {
      show('error', { reason: (err && (err.message || err.code)) || '' });
    }
  }

  async function onIncoming(call) {
    if (activeCall) { call.reject(); return; }  // one customer at a time
    activeCall = call;
    show('incoming');
    const done = () => {
      if (activeCall !== call) return;
      activeCall = null;
      if (!ERRORS.has(current.key)) show(device && device.state === 'registered' ? 'ready' : 'offline');
    };
    call.on('accept', () => show('on_call'));
    call.on('disconnect', done);
    call.on('cancel', done);
    call.on('reject', done);
    call.on('error', (e) => { callError(e); done(); });
    if (!isPooledLeg(call)) await whenPopShown(POP_WAIT_MS);
    if (activeCall === call && call.status() === 'pending') call.accept();
  }

  async function checkMicrophone() {
    // Asked once up front so a refusal shows now rather than when the customer is on the line.
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      stream.getTracks().forEach((track) => track.stop());
    } catch (e) {
      if (e && (e.name === 'NotAllowedError' || e.name === 'SecurityError')) show('no_microphone');
    }
  }

  async function start() {
    if (!window.Twilio || !window.Twilio.Device) {
      show('error', { reason: 'Twilio Voice SDK not loaded' });
      return;
    }
    show('connecting');
    let token;
    try {
      token = await fetchToken();
    } catch (e) {
      show('token_failed', { reason: e.message });
      setTimeout(start, RETRY_MS);
      return;
    }
    device = new window.Twilio.Device(token, {
      codecPreferences: ['opus', 'pcmu'],
      closeProtection: true,
      logLevel: 'warn',
    });
    window.HuifangTwilio = { device, isPooledLeg };
    device.on('registered', () => { if (!activeCall) show('ready'); });
    device.on('unregistered', () => { if (!ERRORS.has(current.key)) show('offline'); });
    device.on('incoming', onIncoming);
    device.on('tokenWillExpire', async () => {
      try {
        device.updateToken(await fetchToken());
      } catch (e) {
        show('token_failed', { reason: e.message });
      }
    });
    device.on('error', (err) => {
      const code = err && err.code;
      if (code >= 20101 && code <= 20157) show('token_failed', { reason: `${code} ${err.message || ''}`.trim() });
      else callError(err);
    });
    try {
      await device.register();
    } catch (e) {
      if (!ERRORS.has(current.key)) show('offline');
    }
    checkMicrophone();
  }

  render();
  start();
})();
