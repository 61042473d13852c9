// The staff's estimate panel for one ticket: build an estimate (add, edit, remove lines of each kind,
// totals as you type) and send it, or a revised version; and take the customer's answer by phone.
// It lives outside the board's columns, so live redraws of the cards never touch what is typed here.
import { ApiError, Q, request } from '../api';
import type { Estimate, EstimateLineKind, Ticket } from '../api';
import { h, replaceChildren } from '../dom';
import {
  DEFAULT_TAX_BASIS_POINTS,
  KIND_LABEL,
  MAX_LINE_DESCRIPTION,
  MAX_LINES,
  STACK_CURRENCY,
  estimateSummary,
  formatMoney,
  formatQuantity,
  lineAmount,
  parseHundredths,
  parseMinor,
  totals,
} from '../estimate';
import { ESTIMATE_FROM } from '../lifecycle';

interface DraftLine {
  kind: EstimateLineKind;
  description: string;
  quantity: string;
  unitPrice: string;
}

export interface EstimatePanel {
  element: HTMLElement;
  ticketId: string | undefined;
  open(ticket: Ticket): void;
  /** A newer version of the open ticket arrived (live): refresh what it shows, keep the draft. */
  update(ticket: Ticket): void;
  close(): void;
}

let sequence = 0;

export function estimatePanel(onChanged: (ticket: Ticket) => void): EstimatePanel {
  const element = h('section', { className: 'estimate-panel', 'aria-labelledby': 'estimate-panel-title', 'data-testid': 'estimate-panel', hidden: true });
  let ticket: Ticket | undefined;
  let draft: DraftLine[] = [];
  const summary = h('p', { className: 'estimate-state', role: 'status', 'aria-live': 'polite', 'data-testid': 'estimate-state' });
  const phone = h('div', { className: 'phone-answer' });

  const money = (minor: number) => formatMoney(minor, ticket?.estimate?.currency ?? STACK_CURRENCY);

  const describeState = () => {
    const estimate = ticket?.estimate;
    summary.textContent = estimate ? estimateSummary(estimate) : 'No estimate sent yet.';
    renderPhone();
  };

  const renderBuilder = () => {
    const id = ++sequence;
    const rows = h('ol', { className: 'estimate-draft' });
    const rate = h('input', { id: `est-rate-${id}`, name: 'rate', type: 'text', inputmode: 'decimal', value: String(DEFAULT_TAX_BASIS_POINTS / 100), size: 5 });
    const note = h('input', { id: `est-note-${id}`, name: 'note', type: 'text', maxlength: 1000, autocomplete: 'off' });
    const totalsBox = h('p', { className: 'estimate-totals', 'aria-live': 'polite', 'data-testid': 'builder-totals' });
    const error = h('p', { className: 'form-summary', role: 'alert', hidden: true, 'data-testid': 'builder-error' });
    const add = h('button', { type: 'button' }, 'Add line');
    const send = h('button', { type: 'submit', className: 'primary' }, ticket?.estimate ? 'Send revised estimate' : 'Send estimate');

    const basisPoints = (): number | null => {
      const match = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(rate.value.trim());
      if (!match) return null;
      const value = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
      return value <= 10_000 ? value : null;
    };
    const recompute = () => {
      const amounts = draft.map((l) => {
        const q = parseHundredths(l.quantity);
        const p = parseMinor(l.unitPrice);
        return q !== null && p !== null ? lineAmount(q, p) : 0;
      });
      rows.querySelectorAll<HTMLElement>('[data-amount]').forEach((cell, i) => (cell.textContent = money(amounts[i] ?? 0)));
      const bp = basisPoints() ?? 0;
      const t = totals(amounts, bp);
      totalsBox.textContent = `Subtotal ${money(t.subtotal)} · Tax ${money(t.tax)} · Total ${money(t.total)}`;
      add.disabled = draft.length >= MAX_LINES;
    };
    const drawRows = () => {
      rows.replaceChildren(
        ...draft.map((line, i) => {
          const base = `est-${id}-${i}`;
          const kind = h('select', { id: `${base}-kind`, name: 'kind' }, (Object.keys(KIND_LABEL) as EstimateLineKind[]).map((k) => h('option', { value: k, selected: k === line.kind }, KIND_LABEL[k])));
          const description = h('input', { id: `${base}-desc`, name: 'description', type: 'text', value: line.description, maxlength: MAX_LINE_DESCRIPTION, required: true, autocomplete: 'off' });
          const quantity = h('input', { id: `${base}-qty`, name: 'quantity', type: 'text', inputmode: 'decimal', value: line.quantity, size: 6, required: true });
          const price = h('input', { id: `${base}-price`, name: 'unitPrice', type: 'text', inputmode: 'decimal', value: line.unitPrice, size: 9, required: true });
          const remove = h('button', { type: 'button', 'aria-label': `Remove line ${i + 1}` }, 'Remove');
          kind.addEventListener('change', () => (line.kind = kind.value as EstimateLineKind));
          description.addEventListener('input', () => (line.description = description.value));
          quantity.addEventListener('input', () => {
            line.quantity = quantity.value;
            recompute();
          });
          price.addEventListener('input', () => {
            line.unitPrice = price.value;
            recompute();
          });
          remove.addEventListener('click', () => {
            draft.splice(i, 1);
            drawRows();
            (rows.querySelector<HTMLElement>('input') ?? add).focus();
          });
          return h(
            'li',
            { className: 'draft-line' },
            h('div', { className: 'field' }, h('label', { for: `${base}-kind` }, `Line ${i + 1} kind`), kind),
            h('div', { className: 'field grow' }, h('label', { for: `${base}-desc` }, 'Description'), description),
            h('div', { className: 'field' }, h('label', { for: `${base}-qty` }, 'Quantity'), quantity),
            h('div', { className: 'field' }, h('label', { for: `${base}-price` }, `Unit price (${ticket?.estimate?.currency ?? STACK_CURRENCY})`), price),
            h('p', { className: 'amount' }, 'Amount ', h('strong', { 'data-amount': '' })),
            remove,
          );
        }),
      );
      recompute();
    };
    add.addEventListener('click', () => {
      draft.push({ kind: 'LABOR', description: '', quantity: '1', unitPrice: '' });
      drawRows();
      rows.querySelector<HTMLInputElement>('li:last-child input[name="description"]')?.focus();
    });
    rate.addEventListener('input', recompute);

    const form = h(
      'form',
      { className: 'estimate-builder', novalidate: true, 'aria-labelledby': `est-build-${id}` },
      h('h3', { id: `est-build-${id}` }, ticket?.estimate ? `Revise (version ${ticket.estimate.version + 1})` : 'Build an estimate'),
      rows,
      add,
      h('div', { className: 'field' }, h('label', { for: `est-rate-${id}` }, 'Tax rate (%)'), rate),
      h('div', { className: 'field' }, h('label', { for: `est-note-${id}` }, 'Note to the customer (optional)'), note),
      totalsBox,
      error,
      send,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (send.disabled || !ticket) return;
      const problems: string[] = [];
      const lines = draft.map((l, i) => {
        const q = parseHundredths(l.quantity);
        const p = parseMinor(l.unitPrice);
        if (!l.description.trim()) problems.push(`Line ${i + 1}: describe it.`);
        if (q === null) problems.push(`Line ${i + 1}: quantity must be more than 0, at most 2 decimals.`);
        if (p === null) problems.push(`Line ${i + 1}: unit price must be an amount like 64.50.`);
        return { kind: l.kind, description: l.description.trim(), quantity: (q ?? 0) / 100, unitPrice: p ?? 0 };
      });
      if (!lines.length) problems.push('Add at least one line.');
      const bp = basisPoints();
      if (bp === null) problems.push('Tax rate must be a percentage like 21 or 9.5.');
      if (problems.length) {
        error.textContent = problems.join(' ');
        error.hidden = false;
        return;
      }
      error.hidden = true;
      send.disabled = true;
      send.textContent = 'Sending…';
      try {
        const data = await request<{ sendEstimate: Ticket }>(
          Q.sendEstimate,
          { input: { ticketId: ticket.id, lines, taxRateBasisPoints: bp, note: note.value.trim() || null, expectedVersion: ticket.version } },
          'userPool',
        );
        ticket = data.sendEstimate;
        onChanged(data.sendEstimate);
        describeState();
        summary.textContent = `Sent. ${summary.textContent}`;
        renderAll();
      } catch (raw) {
        const e = raw as ApiError;
        send.disabled = false;
        send.textContent = ticket.estimate ? 'Send revised estimate' : 'Send estimate';
        error.textContent = e.has?.('ConflictError') ? `Not sent: ${e.message}. The ticket changed; check it and send again.` : `Not sent: ${e.message}`;
        error.hidden = false;
      }
    });
    drawRows();
    return form;
  };

  const renderPhone = () => {
    const estimate = ticket?.estimate;
    if (!ticket || !estimate || estimate.answeredAt) {
      replaceChildren(phone, estimate?.answeredAt ? answeredList(estimate, money) : null);
      return;
    }
    const id = ++sequence;
    const name = h('input', { id: `ph-name-${id}`, type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
    const error = h('p', { className: 'form-summary', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit' }, 'Record answer taken by phone');
    const fieldsets = estimate.lines.map((line, i) =>
      h(
        'fieldset',
        { className: 'decide' },
        h('legend', null, `${line.description} — ${formatQuantity(line.quantity)} × ${money(line.unitPrice)} = ${money(line.amount)}`),
        ...(['APPROVED', 'DECLINED'] as const).map((value) =>
          h('label', { className: 'choice' }, h('input', { type: 'radio', name: `ph-${id}-${i}`, value }), ' ', value === 'APPROVED' ? 'Approved' : 'Declined'),
        ),
      ),
    );
    const form = h(
      'form',
      { className: 'phone-form', novalidate: true, 'aria-labelledby': `ph-title-${id}` },
      h('h3', { id: `ph-title-${id}` }, `Take the answer to estimate ${estimate.version} by phone`),
      ...fieldsets,
      h('div', { className: 'field' }, h('label', { for: `ph-name-${id}` }, "Customer's full name"), name),
      error,
      submit,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submit.disabled || !ticket) return;
      const decisions = estimate.lines.map((line, i) => ({
        lineId: line.id,
        decision: form.querySelector<HTMLInputElement>(`input[name="ph-${id}-${i}"]:checked`)?.value,
      }));
      if (decisions.some((d) => !d.decision) || !name.value.trim()) {
        error.textContent = 'Record a decision for every line and the customer’s name.';
        error.hidden = false;
        return;
      }
      submit.disabled = true;
      try {
        const data = await request<{ answerEstimate: Ticket }>(
          Q.answerEstimateStaff,
          { input: { ticketId: ticket.id, estimateVersion: estimate.version, decisions, signedBy: name.value.trim() } },
          'userPool',
        );
        ticket = data.answerEstimate;
        onChanged(data.answerEstimate);
        describeState();
      } catch (raw) {
        submit.disabled = false;
        error.textContent = `Not recorded: ${(raw as ApiError).message}`;
        error.hidden = false;
      }
    });
    replaceChildren(phone, form);
  };

  const renderAll = () => {
    if (!ticket) return;
    const close = h('button', { type: 'button' }, 'Close');
    close.addEventListener('click', () => panel.close());
    const canSend = ESTIMATE_FROM.includes(ticket.status);
    draft = (ticket.estimate?.lines ?? []).map((l) => ({
      kind: l.kind,
      description: l.description,
      quantity: String(l.quantity),
      unitPrice: (l.unitPrice / 100).toFixed(2),
    }));
    if (!draft.length) draft = [{ kind: 'LABOR', description: '', quantity: '1', unitPrice: '' }];
    replaceChildren(
      element,
      h('h2', { id: 'estimate-panel-title', tabindex: -1 }, `Estimate for ${ticket.reference}`),
      summary,
      phone,
      canSend ? renderBuilder() : h('p', null, 'An estimate can be sent while the ticket is being diagnosed, waiting for parts or in repair.'),
      close,
    );
    describeState();
  };

  const panel: EstimatePanel = {
    element,
    get ticketId() {
      return ticket?.id;
    },
    open(next: Ticket) {
      ticket = next;
      element.hidden = false;
      renderAll();
      element.querySelector<HTMLElement>('h2')?.focus();
    },
    update(next: Ticket) {
      if (!ticket || next.id !== ticket.id || next.version <= ticket.version) return;
      const answerChanged = next.estimate?.version !== ticket.estimate?.version || !!next.estimate?.answeredAt !== !!ticket.estimate?.answeredAt;
      ticket = next;
      if (answerChanged) describeState();
    },
    close() {
      ticket = undefined;
      element.hidden = true;
      element.replaceChildren();
    },
  };
  return panel;
}

function answeredList(estimate: Estimate, money: (minor: number) => string): HTMLElement {
  return h(
    'div',
    { className: 'answered', 'data-testid': 'estimate-answer' },
    h('p', null, `Answered by ${estimate.signedBy ?? '—'}${estimate.comment ? ` — “${estimate.comment}”` : ''}`),
    h(
      'ul',
      null,
      estimate.lines.map((l) => h('li', { 'data-decision': l.decision }, `${l.decision === 'APPROVED' ? '✓ Approved' : '✗ Declined'}: ${l.description} (${money(l.amount)})`)),
    ),
  );
}
