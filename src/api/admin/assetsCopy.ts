/**
 * `/admin/assets/copy.js`: the console's only script, served from the API (the CSP allows scripts
 * from this origin only, never inline). It enhances pages that already work without it: a
 * `<button class="copy" data-copy="ID" hidden>` is shown, and a click copies the text of element ID
 * to the clipboard (or selects it when the clipboard is not available, e.g. over plain http) and says
 * so in the page's `role="status"` region (`#copy-status`) for screen readers.
 */
import { Router } from 'express';

export const COPY_SCRIPT_PATH = '/admin/assets/copy.js';

export const COPY_SCRIPT = `'use strict';
(function () {
  var status = document.getElementById('copy-status');
  function say(text) {
    if (status) status.textContent = text;
  }
  function select(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    if (selection) {
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }
  var buttons = document.querySelectorAll('button.copy[data-copy]');
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = target.textContent || '';
      var label = button.getAttribute('data-label') || 'the text';
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { say('Copied ' + label + ' to the clipboard.'); },
          function () { select(target); say('Could not copy; ' + label + ' is selected: press Ctrl+C or Cmd+C.'); }
        );
      } else {
        select(target);
        say('Selected ' + label + ': press Ctrl+C or Cmd+C to copy.');
      }
    });
  });
})();
`;

/** Serves the copy script. Mount after the console's router (it sits behind the operator guard, as the pages using it do). */
export function copyScriptRouter(): Router {
  return Router().get(COPY_SCRIPT_PATH, (_req, res) => {
    res.set('Cache-Control', 'private, max-age=3600').type('application/javascript').send(COPY_SCRIPT);
  });
}
