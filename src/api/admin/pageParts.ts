/**
 * Pieces the console's pages share, so each page reads the same to a screen reader: the signed-in
 * page frame, the body parser of pages with forms, tables that scroll (and stack on narrow screens),
 * and error lines tied to their fields.
 */
import express, { type RequestHandler, type Response } from 'express';
import { html, layout, type SafeHtml } from './html';
import type { OperatorLocals } from './operatorConsole';

/** The operator requireOperator let through, when it did. */
export function operatorOf(res: Response): OperatorLocals | undefined {
  return res.locals.operator as OperatorLocals | undefined;
}

/** `layout` for a page behind requireOperator: with the sign-out button when there is a session. */
export function operatorLayout(res: Response, title: string, body: SafeHtml): SafeHtml {
  const operator = operatorOf(res);
  return layout({ title, body, ...(operator ? { signedIn: { csrfToken: operator.csrfToken } } : {}) });
}

/** The body parser of the console's own forms: small, flat fields. */
export function consoleForms(): RequestHandler {
  return express.urlencoded({ extended: false, limit: '16kb' });
}

export interface TableOptions {
  /** The id of the heading that names the table... */
  labelledBy?: string;
  /** ...or, without one, its name. */
  label?: string;
  className?: string;
  caption?: string;
  columns: readonly string[];
  rows: SafeHtml | readonly SafeHtml[];
  /**
   * Rows become blocks on narrow screens (CSS `.stack`); display:block drops the table's semantics,
   * so its ARIA roles are given back (the rows carry theirs).
   */
  stack?: boolean;
}

/** A table in a keyboard-scrollable region named by its heading (or label). */
export function dataTable(options: TableOptions): SafeHtml {
  const { stack = false } = options;
  const role = (name: string): SafeHtml | '' => (stack ? html` role="${name}"` : '');
  const classes = [options.className, stack ? 'stack' : undefined].filter(Boolean).join(' ');
  const named = options.labelledBy
    ? html`aria-labelledby="${options.labelledBy}"`
    : html`aria-label="${options.label ?? ''}"`;
  return html`<div class="table-scroll" role="region" ${named} tabindex="0">
    <table${classes ? html` class="${classes}"` : ''}${role('table')}>
      ${
        options.caption
          ? html`<caption>
              ${options.caption}
            </caption>`
          : ''
      }
      <thead${role('rowgroup')}>
        <tr${role('row')}>
          ${options.columns.map((column) =>
            stack
              ? html`<th scope="col" role="columnheader">${column}</th>`
              : html`<th scope="col">${column}</th>`,
          )}
        </tr>
      </thead>
      <tbody${role('rowgroup')}>
        ${options.rows}
      </tbody>
    </table>
  </div>`;
}

/** A message that must be heard at once (`role="alert"`); nothing without one. */
export function errorAlert(message: string | undefined, id?: string): SafeHtml | '' {
  if (!message) return '';
  return id
    ? html`<p class="error" role="alert" id="${id}">${message}</p>`
    : html`<p class="error" role="alert">${message}</p>`;
}

/** A field's error under its label, `${fieldId}-error` for the field's aria-describedby. */
export function fieldError(fieldId: string, message: string | undefined): SafeHtml | '' {
  return message ? html`<p class="error" id="${fieldId}-error">${message}</p>` : '';
}
