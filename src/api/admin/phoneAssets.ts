/**
 * The virtual phone's script, served from the API (the console's CSP allows scripts from 'self' only,
 * nothing inline). It polls the conversation's JSON every 2 s and appends texts it has not shown yet
 * to the page's polite live region, and updates delivery statuses in place; text goes in through
 * textContent only. Without it the page still works (its refresh link).
 */
import { Router } from 'express';

export const PHONE_SCRIPT_PATH = '/admin/assets/phone.js';
export const PHONE_POLL_MS = 2000;

export const PHONE_SCRIPT = `'use strict';
(function () {
  var list = document.getElementById('conversation');
  if (!list) return;
  var source = list.getAttribute('data-source');
  var zone = list.getAttribute('data-zone') || 'UTC';
  var state = document.getElementById('live-state');
  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, { timeZone: zone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  } catch (e) {
    format = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC' });
  }
  function statusText(m) {
    return m.status + (typeof m.errorCode === 'number' ? ' (error ' + m.errorCode + ')' : '');
  }
  function paragraph(className, text) {
    var p = document.createElement('p');
    p.className = className;
    if (text !== undefined) p.textContent = text;
    return p;
  }
  function item(m) {
    var li = document.createElement('li');
    li.className = 'bubble ' + (m.direction === 'in' ? 'in' : 'out');
    li.setAttribute('data-sid', m.sid);
    var meta = paragraph('meta', (m.direction === 'in' ? 'From ' : 'To ') + m.clinicNumber + ' · ');
    var time = document.createElement('time');
    time.setAttribute('datetime', m.createdAt);
    time.textContent = format.format(new Date(m.createdAt));
    meta.appendChild(time);
    li.appendChild(meta);
    li.appendChild(paragraph('text', m.body));
    var footer = paragraph('meta');
    var status = document.createElement('span');
    status.className = 'status';
    status.textContent = statusText(m);
    footer.appendChild(status);
    li.appendChild(footer);
    return li;
  }
  function apply(conversation) {
    var known = {};
    var items = list.querySelectorAll('li[data-sid]');
    for (var i = 0; i < items.length; i++) known[items[i].getAttribute('data-sid')] = items[i];
    conversation.messages.forEach(function (m) {
      var li = known[m.sid];
      if (li) {
        var status = li.querySelector('.status');
        if (status && status.textContent !== statusText(m)) status.textContent = statusText(m);
      } else {
        list.appendChild(item(m));
        var empty = document.getElementById('no-texts');
        if (empty) empty.parentNode.removeChild(empty);
      }
    });
  }
  function poll() {
    fetch(source, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (conversation) {
        apply(conversation);
        if (state) state.textContent = 'Live: new texts appear here.';
      })
      .catch(function () {
        if (state) state.textContent = 'Live updates paused (signed out or offline): use Refresh.';
      })
      .then(function () {
        window.setTimeout(poll, ${PHONE_POLL_MS});
      });
  }
  window.setTimeout(poll, ${PHONE_POLL_MS});
})();
`;

/** GET /admin/assets/phone.js; mount after the console's router (its guard covers /admin). */
export function phoneAssetsRouter(): Router {
  return Router().get(PHONE_SCRIPT_PATH, (_req, res) => {
    res.type('application/javascript').send(PHONE_SCRIPT);
  });
}
