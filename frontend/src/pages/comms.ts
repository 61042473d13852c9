/** Customer communication on the pages: channel choices and "Lost your link?". */
import { ApiError, Q, request } from '../api';
import type { Channel } from '../api';
import { h } from '../dom';

/** The channel boxes: e-mail ticked when an e-mail is given (until the customer unticks it); SMS
 * its own box, never ticked for them, with plain consent text, and only when the stage texts
 * customers (`offerSms`, from amplify_outputs.json's custom.customerSms): otherwise e-mail alone. */
export function channelChoices(
  idPrefix: string,
  initial: { email: boolean; sms: boolean },
  offerSms: boolean,
): {
  element: HTMLElement;
  chosen: () => Channel[];
  email: HTMLInputElement;
  sms: HTMLInputElement | null;
} {
  const email = h('input', { type: 'checkbox', id: `${idPrefix}-email`, name: 'notifyEmail', 'data-testid': 'notify-email' });
  email.checked = initial.email;
  const sms = offerSms
    ? h('input', { type: 'checkbox', id: `${idPrefix}-sms`, name: 'notifySms', 'data-testid': 'notify-sms' })
    : null;
  if (sms) sms.checked = initial.sms;
  const element = h(
    'fieldset',
    { className: 'channels' },
    h('legend', null, 'Tell me about this repair'),
    h('div', { className: 'check' }, email, h('label', { for: email.id }, 'By e-mail')),
    sms
      ? h(
          'div',
          { className: 'check' },
          sms,
          h('label', { for: sms.id }, 'By text message (SMS). I agree to receive a few texts about this repair; reply STOP to end them.'),
        )
      : null,
  );
  const chosen = (): Channel[] => [...(email.checked ? ['EMAIL' as const] : []), ...(sms?.checked ? ['SMS' as const] : [])];
  return { element, chosen, email, sms };
}

/** "Lost your link?": reference plus the e-mail or phone given on the ticket. The answer is always
 * the same sentence, whatever exists (the API tells nobody). */
export function lostLinkForm(idPrefix: string): HTMLElement {
  const reference = h('input', { id: `${idPrefix}-ref`, name: 'reference', autocomplete: 'off', required: true, 'data-testid': 'lost-ref' });
  const contact = h('input', { id: `${idPrefix}-contact`, name: 'contact', autocomplete: 'email', required: true, 'data-testid': 'lost-contact' });
  const message = h('p', { role: 'status', 'data-testid': 'lost-message' });
  const button = h('button', { type: 'submit' }, 'Send me a new link');
  const form = h(
    'form',
    { className: 'lost-link', 'aria-labelledby': `${idPrefix}-title` },
    h('h2', { id: `${idPrefix}-title` }, 'Lost your link?'),
    h('p', { className: 'hint' }, 'Enter your reference and the e-mail address or phone number you gave us.'),
    h('div', { className: 'field' }, h('label', { for: reference.id }, 'Reference (e.g. PS-7K2P9Q)'), reference),
    h('div', { className: 'field' }, h('label', { for: contact.id }, 'E-mail or phone'), contact),
    button,
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!reference.value.trim() || !contact.value.trim()) {
      message.textContent = 'Please give both your reference and your e-mail or phone.';
      return;
    }
    button.disabled = true;
    try {
      await request<{ requestTrackingLink: boolean }>(
        Q.requestTrackingLink,
        { reference: reference.value.trim(), contact: contact.value.trim() },
        'apiKey',
      );
      message.textContent = 'If the reference and contact match a repair, a new link is on its way. It can take a minute.';
    } catch (raw) {
      const error = raw as ApiError;
      message.textContent = error.has?.('ValidationError') ? error.message : 'That did not work just now. Please try again in a moment.';
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
