/* Huifang agent console: the keyboard, as window.HuifangKeys. Loaded before agent.js, which
 * attaches it with what each key does on the screen as it is now.
 *
 * A key pressed while a request awaits its ack (wrap-up, ready, pause, dial, hang up...) is
 * not lost: it waits in order and runs once the ack is in, against the screen as it is then.
 * A key whose meaning went with the screen it was pressed on (the call it was for has ended,
 * its button is no longer there) is dropped, and the agent is told. */
(() => {
  'use strict';

  const MAX_WAITING = 8;  // a held-down key or a cat on the keyboard: the rest is dropped
  const FUNCTION_KEYS = new Set(['F2', 'F3', 'F4', 'F6', 'F7', 'F9']);
  const NOT_TEXT = ['radio', 'checkbox', 'button', 'submit', 'reset', 'range', 'color', 'file'];

  const isTextField = (node) => {
    if (!node || !node.tagName) return false;
    if (node.isContentEditable) return true;
    const tag = node.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
    return tag === 'INPUT' && !NOT_TEXT.includes((node.type || 'text').toLowerCase());
  };

  // The console's name for a key press, or null when the console has no use for it (typing).
  function keyName(ev) {
    if (ev.isComposing) return null;
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) return 'Ctrl+Enter';
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return null;
    if (FUNCTION_KEYS.has(ev.key) || ev.key === 'Escape') return ev.key;
    if (isTextField(ev.target)) return null;
    if (/^[1-5]$/.test(ev.key)) return ev.key;
    if (ev.key === 'y' || ev.key === 'Y') return 'Y';
    if (ev.key === 'n' || ev.key === 'N') return 'N';
    if ((ev.key === 'ArrowUp' || ev.key === 'ArrowDown') && ev.target.type !== 'radio') return ev.key;
    return null;
  }

  /* opts:
   *   waiting()            a request is awaiting its ack
   *   context()            what the screen is about now (compared by the resolver)
   *   resolve(name, when)  what the key does now; `when` is the context it was pressed in, or
   *                        null for a key pressed now. Returns null (not the console's key: the
   *                        browser keeps it), {run} or {drop: reason}.
   *   show(names)          the keys waiting, in order ([] when none)
   *   dropped(name, why)   a waiting key was dropped, with the resolver's reason */
  function attach(opts) {
    const queue = [];

    function onKey(ev) {
      const name = keyName(ev);
      if (!name) return;
      if (opts.waiting() || queue.length) {
        // Behind a waiting key every key waits (its meaning may follow from that one's: F3
        // then 1); otherwise only a key the console has a use for on this screen.
        if (!queue.length && !opts.resolve(name, null) && !FUNCTION_KEYS.has(name)) return;
        stop(ev);
        if (ev.repeat) return;  // a held key is one press
        if (queue.length >= MAX_WAITING) { opts.dropped(name, 'too_many'); return; }
        queue.push({ name, when: opts.context() });
        opts.show(queue.map((k) => k.name));
        return;
      }
      const action = opts.resolve(name, null);
      if ((action && action.run) || FUNCTION_KEYS.has(name) || name === 'Ctrl+Enter') stop(ev);
      if (action && action.run) action.run();
    }

    // After each ack: the waiting keys, in order, until one starts a request of its own.
    function drain() {
      while (queue.length && !opts.waiting()) {
        const { name, when } = queue.shift();
        const action = opts.resolve(name, when) || { drop: 'unavailable' };
        if (action.run) action.run();
        else opts.dropped(name, action.drop);
      }
      opts.show(queue.map((k) => k.name));
    }

    function stop(ev) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }

    // Capture phase: before the page's other listeners, so a waiting key is never half-handled.
    window.addEventListener('keydown', onKey, true);
    return { drain };
  }

  window.HuifangKeys = Object.freeze({ attach });
})();
