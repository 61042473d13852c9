// The customer's estimate on the tracking page: decide each line, type the full name, confirm.
// Live: a new version replaces the one on screen and the customer is told; a refused answer
// (ConflictError: a new version or an answer already given) is explained, never silent.
import { ApiError, Q, request } from '../api';
import type { Estimate, LineDecision, Ticket } from '../api';
import { formatDateTime, h, replaceChildren, timeElement } from '../dom';
import { KIND_LABEL, MAX_COMMENT, approvedTotal, formatMoney, formatQuantity } from '../estimate';

export interface EstimateSection {
  element: HTMLElement;
  /** Show the ticket's estimate; keeps the customer's choices while the same version is shown. */
  update(ticket: Ticket): void;
}

export function estimateSection(ticketId: string, token: string, onAnswered: (ticket: Ticket) => void): EstimateSection {
  const element = h('section', { className: 'estimate', 'aria-labelledby': 'estimate-title', 'data-testid': 'estimate', hidden: true });
  const notice = h('p', { className: 'estimate-notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'estimate-notice' });
  let shown: Estimate | null = null;
  let choices = new Map<string, LineDecision>();
  let clientToken = '';

  const render = (estimate: Estimate) => {
    const answered = !!estimate.answeredAt;
    const money = (minor: number) => formatMoney(minor, estimate.currency);
    const running = h('p', { className: 'estimate-running', 'data-testid': 'estimate-approved-total' });
    const refreshRunning = () => {
      const lines = estimate.lines.map((l) => ({ amount: l.amount, decision: answered ? l.decision : (choices.get(l.id) ?? 'PENDING') }));
      const decided = lines.filter((l) => l.decision !== 'PENDING').length;
      running.textContent = answered
        ? `Agreed: ${money(estimate.approvedTotal)} (including tax)`
        : `You approve ${money(approvedTotal(lines, estimate.taxRateBasisPoints))} (including tax) · ${decided} of ${lines.length} lines decided`;
    };
    const rows = estimate.lines.map((line, index) => {
      const name = `decide-${line.id}`;
      const decision = answered ? line.decision : (choices.get(line.id) ?? 'PENDING');
      const radio = (value: 'APPROVED' | 'DECLINED', label: string) => {
        const input = h('input', { type: 'radio', name, value, id: `${name}-${value}`, checked: decision === value, required: true });
        input.addEventListener('change', () => {
          choices.set(line.id, value);
          refreshRunning();
        });
        return h('label', { for: `${name}-${value}`, className: 'choice' }, input, ' ', label);
      };
      return h(
        'li',
        { className: 'estimate-line', 'data-line-id': line.id, 'data-decision': decision },
        h('p', { className: 'line-head' }, h('strong', null, line.description), ' ', h('span', { className: 'kind' }, `(${KIND_LABEL[line.kind]})`)),
        h('p', { className: 'line-figures' }, `${formatQuantity(line.quantity)} × ${money(line.unitPrice)} = `, h('strong', null, money(line.amount))),
        answered
          ? h('p', { className: `decision ${decision.toLowerCase()}` }, decision === 'APPROVED' ? 'Approved' : 'Declined')
          : h('fieldset', { className: 'decide' }, h('legend', { className: 'visually-hidden' }, `Line ${index + 1}: ${line.description}`), radio('APPROVED', 'Approve'), ' ', radio('DECLINED', 'Decline')),
      );
    });
    const totalsList = h(
      'dl',
      { className: 'estimate-totals' },
      h('dt', null, 'Subtotal'),
      h('dd', null, money(estimate.subtotal)),
      h('dt', null, `Tax (${estimate.taxRateBasisPoints / 100} %)`),
      h('dd', null, money(estimate.tax)),
      h('dt', null, 'Total if everything is approved'),
      h('dd', { 'data-testid': 'estimate-total' }, money(estimate.total)),
    );
    refreshRunning();
    const heading = h('h2', { id: 'estimate-title' }, `Estimate ${estimate.version}`);
    const sent = h('p', { className: 'estimate-sent' }, 'Sent ', timeElement(estimate.sentAt, formatDateTime(estimate.sentAt)));
    if (answered) {
      const approved = estimate.lines.filter((l) => l.decision === 'APPROVED').length;
      replaceChildren(
        element,
        heading,
        sent,
        notice,
        h(
          'p',
          { className: 'estimate-agreed', 'data-testid': 'estimate-agreed' },
          `Answered by ${estimate.signedBy ?? 'you'} on `,
          timeElement(estimate.answeredAt!, formatDateTime(estimate.answeredAt!)),
          `: ${approved} of ${estimate.lines.length} lines approved.`,
        ),
        h('ul', { className: 'estimate-lines' }, rows),
        totalsList,
        running,
        estimate.comment ? h('p', { className: 'estimate-comment' }, 'Your comment: ', estimate.comment) : null,
      );
      return;
    }
    const nameInput = h('input', { id: 'estimate-name', name: 'signedBy', type: 'text', autocomplete: 'name', required: true, maxlength: 100 });
    const comment = h('textarea', { id: 'estimate-comment', name: 'comment', rows: 3, maxlength: MAX_COMMENT });
    const error = h('p', { className: 'form-summary', role: 'alert', 'data-testid': 'estimate-error', hidden: true });
    const submit = h('button', { type: 'submit', className: 'primary' }, 'Confirm my answer');
    const form = h(
      'form',
      { className: 'estimate-form', novalidate: true, 'aria-describedby': 'estimate-help' },
      h('p', { id: 'estimate-help' }, 'Approve or decline each line. Only approved work will be done.'),
      h('ul', { className: 'estimate-lines' }, rows),
      totalsList,
      running,
      h('div', { className: 'field' }, h('label', { for: 'estimate-name' }, 'Your full name (as your signature)'), nameInput),
      h('div', { className: 'field' }, h('label', { for: 'estimate-comment' }, 'Comment for the workshop (optional)'), comment),
      error,
      submit,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      const undecided = estimate.lines.filter((l) => !choices.has(l.id));
      const problem = undecided.length
        ? `Please approve or decline every line (${undecided.length} not decided yet).`
        : !nameInput.value.trim()
          ? 'Please type your full name.'
          : '';
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        (undecided.length ? form.querySelector<HTMLInputElement>(`input[name="decide-${undecided[0].id}"]`) : nameInput)?.focus();
        return;
      }
      error.hidden = true;
      submit.disabled = true;
      submit.textContent = 'Sending…';
      try {
        const data = await request<{ answerEstimate: Ticket }>(
          Q.answerEstimatePublic,
          {
            input: {
              ticketId,
              trackingToken: token,
              estimateVersion: estimate.version,
              decisions: estimate.lines.map((l) => ({ lineId: l.id, decision: choices.get(l.id) })),
              signedBy: nameInput.value.trim(),
              comment: comment.value.trim() || null,
              clientToken,
            },
          },
          'apiKey',
        );
        notice.textContent = 'Thank you: your answer was sent to the workshop.';
        onAnswered(data.answerEstimate);
      } catch (raw) {
        const e = raw as ApiError;
        submit.disabled = false;
        submit.textContent = 'Confirm my answer';
        if (e.has?.('ConflictError')) {
          notice.textContent = 'The estimate changed while you were deciding (the workshop sent a new version, or it was already answered). Here is the current one.';
          await reload();
        } else {
          error.textContent = e.has?.('ValidationError') ? e.message : 'Your answer could not be sent. Please try again.';
          error.hidden = false;
        }
      }
    });
    replaceChildren(element, heading, sent, notice, form);
  };

  const reload = async () => {
    try {
      const data = await request<{ ticket: Ticket | null }>(Q.publicTicket, { id: ticketId, trackingToken: token }, 'apiKey');
      if (data.ticket) onAnswered(data.ticket);
    } catch {
      /* the notice says what happened; the live feed brings the new version */
    }
  };

  const update = (ticket: Ticket) => {
    const estimate = ticket.estimate;
    if (!estimate) {
      element.hidden = true;
      return;
    }
    element.hidden = false;
    const sameVersion = shown?.version === estimate.version;
    const sameState = sameVersion && !!shown?.answeredAt === !!estimate.answeredAt;
    if (sameState) return; // keep the customer's choices and typing
    if (shown && !sameVersion) {
      notice.textContent = `The workshop sent a new version of the estimate (version ${estimate.version}). Please review it.`;
    }
    if (!sameVersion) {
      choices = new Map();
      clientToken = crypto.randomUUID();
    }
    shown = estimate;
    render(estimate);
  };

  return { element, update };
}
